/**
 * Settings from environment variables, with `fromEnv: true` (prefix `AI_FAILOVER_`) or
 * `fromEnv: { prefix }`. A variable that is set (and not empty) overrides what the config says;
 * a value that cannot be read, or that the config then refuses, is reported by the config's own
 * `ConfigError` under the variable's name.
 *
 * | variable (after the prefix) | sets                                            | value                     |
 * | --------------------------- | ----------------------------------------------- | ------------------------- |
 * | `FAILURE_THRESHOLD`         | `policy.breaker.consecutiveFailures`            | integer                   |
 * | `RECOVERY_TIMEOUT`          | `policy.breaker.resetTimeoutMs`                 | duration                  |
 * | `MAX_RETRIES`               | `policy.retries`                                | integer                   |
 * | `RATE_LIMIT_PER_MINUTE`     | `rateLimit.rpm` of every provider               | integer                   |
 * | `TOKENS_PER_MINUTE`         | `rateLimit.tpm` of every provider               | integer                   |
 * | `MAX_CONCURRENT`            | `maxConcurrent` of every provider               | integer                   |
 * | `REQUEST_TIMEOUT`           | `timeoutMs` of every provider                   | duration                  |
 * | `DEADLINE`                  | `policy.deadlineMs`                             | duration                  |
 * | `MAX_WAIT`                  | `policy.maxWaitMs`                              | duration                  |
 * | `REGION`                    | `region`                                        | text                      |
 * | `DEFAULT_MODEL`             | `defaultModel`                                  | text                      |
 *
 * A duration is a number with a unit (`500ms`, `30s`, `2m`, `1h`) or a bare number of seconds,
 * as the playbooks write `RECOVERY_TIMEOUT=30`.
 */
import type { ConfigIssue } from '../errors';
import { DEFAULTS } from './defaults';
import { asArray, asRecord } from './records';
import { closestMatch } from './suggest';

type Kind = 'integer' | 'duration' | 'text';

/** One environment variable and what it sets. */
export interface EnvSetting {
  /** The name after the prefix. */
  readonly name: string;
  /** The config path it sets; `providers[]` stands for every provider. */
  readonly sets: string;
  readonly kind: Kind;
}

/** Every variable read, in the order documented. */
export const ENV_SETTINGS: readonly EnvSetting[] = Object.freeze([
  { name: 'FAILURE_THRESHOLD', sets: 'policy.breaker.consecutiveFailures', kind: 'integer' },
  { name: 'RECOVERY_TIMEOUT', sets: 'policy.breaker.resetTimeoutMs', kind: 'duration' },
  { name: 'MAX_RETRIES', sets: 'policy.retries', kind: 'integer' },
  { name: 'RATE_LIMIT_PER_MINUTE', sets: 'providers[].rateLimit.rpm', kind: 'integer' },
  { name: 'TOKENS_PER_MINUTE', sets: 'providers[].rateLimit.tpm', kind: 'integer' },
  { name: 'MAX_CONCURRENT', sets: 'providers[].maxConcurrent', kind: 'integer' },
  { name: 'REQUEST_TIMEOUT', sets: 'providers[].timeoutMs', kind: 'duration' },
  { name: 'DEADLINE', sets: 'policy.deadlineMs', kind: 'duration' },
  { name: 'MAX_WAIT', sets: 'policy.maxWaitMs', kind: 'duration' },
  { name: 'REGION', sets: 'region', kind: 'text' },
  { name: 'DEFAULT_MODEL', sets: 'defaultModel', kind: 'text' },
] as const);

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const INTEGER = /^\d{1,15}$/;

/** The config with the environment applied, and where each overridden value came from. */
export interface EnvApplied {
  readonly config: Record<string, unknown>;
  /** Problems with the variables themselves (unreadable values, a misspelt name). */
  readonly issues: ConfigIssue[];
  /** Relabels an issue of the merged config that a variable caused. */
  relabel(issue: ConfigIssue): ConfigIssue;
}

/**
 * Applies the variables under the config's `fromEnv` prefix to a copy of `config` (the input is
 * not changed). Without `fromEnv`, returns the config as it is.
 */
export function applyEnv(config: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): EnvApplied {
  const prefix = prefixOf(config.fromEnv);
  if (prefix === undefined) return { config: { ...config }, issues: [], relabel: (issue) => issue };
  const merged: Record<string, unknown> = { ...config };
  const issues: ConfigIssue[] = [];
  const applied: { setting: EnvSetting; variable: string; pattern: RegExp }[] = [];
  for (const setting of ENV_SETTINGS) {
    const variable = prefix + setting.name;
    const raw = env[variable];
    if (raw === undefined || raw.trim() === '') continue;
    const value = parse(setting.kind, raw.trim());
    if (typeof value === 'object') {
      issues.push({ path: variable, message: `${value.problem} (it sets ${setting.sets})` });
      continue;
    }
    set(merged, setting.sets, value);
    applied.push({ setting, variable, pattern: pathPattern(setting.sets) });
  }
  issues.push(...misspelt(prefix, env));
  return {
    config: merged,
    issues,
    relabel(issue) {
      const from = applied.find((a) => a.pattern.test(issue.path));
      return from ? { path: from.variable, message: `${issue.message} (it sets ${issue.path})` } : issue;
    },
  };
}

function prefixOf(fromEnv: unknown): string | undefined {
  if (fromEnv === true) return DEFAULTS.envPrefix;
  const prefix = asRecord(fromEnv)?.prefix;
  if (asRecord(fromEnv) && prefix === undefined) return DEFAULTS.envPrefix;
  return typeof prefix === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix) ? prefix : undefined;
}

function parse(kind: Kind, raw: string): number | string | { problem: string } {
  const shown = JSON.stringify(raw.length > 40 ? `${raw.slice(0, 40)}…` : raw);
  switch (kind) {
    case 'integer':
      return INTEGER.test(raw) ? Number(raw) : { problem: `must be a whole number, got ${shown}` };
    case 'duration': {
      const match = DURATION.exec(raw);
      if (!match) {
        return {
          problem: `must be a duration such as 500ms, 30s, 2m or a number of seconds, got ${shown}`,
        };
      }
      return Math.round(Number(match[1]) * UNIT_MS[match[2] ?? 's']!);
    }
    case 'text':
      return raw;
  }
}

/** Sets `path` (`a.b.c`, or `providers[].x.y` for every provider) in `config`, copying each object on the way. */
function set(config: Record<string, unknown>, path: string, value: unknown): void {
  if (path.startsWith('providers[].')) {
    const rest = path.slice('providers[].'.length);
    const providers = asArray(config.providers);
    if (!providers) return;
    config.providers = providers.map((provider) => {
      const copy = asRecord(provider);
      if (!copy) return provider;
      const next = { ...copy };
      setIn(next, rest.split('.'), value);
      return next;
    });
    return;
  }
  setIn(config, path.split('.'), value);
}

function setIn(target: Record<string, unknown>, keys: readonly string[], value: unknown): void {
  const [head, ...rest] = keys;
  if (head === undefined) return;
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = { ...(asRecord(target[head]) ?? {}) };
  setIn(child, rest, value);
  target[head] = child;
}

/** Matches the issue paths of a setting: `providers[].timeoutMs` matches `providers[2].timeoutMs`. */
function pathPattern(sets: string): RegExp {
  const quote = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${sets.split('providers[]').map(quote).join('providers\\[\\d+\\]')}$`);
}

/** Variables under the prefix that look like a misspelt setting (others are left alone). */
function misspelt(prefix: string, env: NodeJS.ProcessEnv): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = ENV_SETTINGS.map((s) => s.name);
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith(prefix)) continue;
    const name = variable.slice(prefix.length);
    if (names.includes(name)) continue;
    const match = closestMatch(name, names);
    if (match !== undefined) {
      issues.push({
        path: variable,
        message: `unknown setting; did you mean ${prefix + match}?`,
      });
    }
  }
  return issues;
}
