/** Options of `shareStateThroughRedis()`, checked once and resolved into a frozen object. */
import { createHash } from 'node:crypto';
import { type AiClient, ConfigError, type ConfigIssue, type Logger } from '@ai-failover/core';
import type { Redis } from 'ioredis';

/** Options of `shareStateThroughRedis()`. */
export interface RedisSharingOptions {
  /**
   * The Redis to share through: a `redis://` or `rediss://` URL (the connections are created and
   * closed here), or an ioredis connection, used for writes and reads and left open by `close()`.
   * A second connection, for the subscription, is always made with `duplicate()` and closed here.
   */
  redis: string | Redis;
  /** First segment of every key and of the channel (default `'ai-failover'`). */
  prefix?: string;
  /**
   * Separates apps (or environments) that share one Redis. Default: a hash of the sorted
   * deployment ids, so replicas with the same deployments find each other and others do not.
   */
  namespace?: string;
  /** How long an open breaker stays in Redis for replicas that start later (default 60 000 ms). */
  breakerTtlMs?: number;
  /**
   * How long `shareStateThroughRedis()` waits for Redis before resolving without the shared state
   * (default 5 000 ms). The state is read as soon as Redis answers, whenever that is.
   */
  startTimeoutMs?: number;
  /** Where connection trouble and ignored entries are reported (default: the client's logger). */
  logger?: Logger;
  /**
   * Keep the client's rate-limit windows in Redis, so the replicas' calls add up to one limit
   * (default true). While Redis is away each replica counts its own calls.
   */
  rateLimits?: boolean;
  /** How long a call waits for Redis's rate-limit answer before deciding on its own (default 100 ms). */
  rateLimitTimeoutMs?: number;
}

/** The options after checks and defaults. */
export interface ResolvedSharingOptions {
  readonly redis: string | Redis;
  readonly prefix: string;
  readonly namespace: string;
  readonly breakerTtlMs: number;
  readonly startTimeoutMs: number;
  readonly logger: Logger | undefined;
  readonly rateLimits: boolean;
  readonly rateLimitTimeoutMs: number;
}

/** Defaults of the optional settings. */
export const SHARING_DEFAULTS = Object.freeze({
  prefix: 'ai-failover',
  breakerTtlMs: 60_000,
  startTimeoutMs: 5_000,
  rateLimits: true,
  rateLimitTimeoutMs: 100,
});

const KNOWN = [
  'redis',
  'prefix',
  'namespace',
  'breakerTtlMs',
  'startTimeoutMs',
  'logger',
  'rateLimits',
  'rateLimitTimeoutMs',
] as const;
const MAX_SEGMENT_LENGTH = 200;
const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

/** Checks the options (throws a `ConfigError` listing every problem) and applies the defaults. */
export function resolveSharingOptions(
  client: AiClient,
  options: RedisSharingOptions,
): ResolvedSharingOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: 'redis', message: 'options must be an object with at least `redis`' }]);
  }
  const issues: ConfigIssue[] = [];
  const given = options as unknown as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      issues.push({ path: `redis.${key}`, message: `unknown option; expected one of ${KNOWN.join(', ')}` });
    }
  }
  checkConnection(options.redis, issues);
  const prefix = segment(options.prefix, 'prefix', issues) ?? SHARING_DEFAULTS.prefix;
  const namespace = segment(options.namespace, 'namespace', issues) ?? defaultNamespace(client);
  const breakerTtlMs =
    duration(options.breakerTtlMs, 'breakerTtlMs', 1, issues) ?? SHARING_DEFAULTS.breakerTtlMs;
  const startTimeoutMs =
    duration(options.startTimeoutMs, 'startTimeoutMs', 0, issues) ?? SHARING_DEFAULTS.startTimeoutMs;
  const rateLimitTimeoutMs =
    duration(options.rateLimitTimeoutMs, 'rateLimitTimeoutMs', 1, issues) ??
    SHARING_DEFAULTS.rateLimitTimeoutMs;
  if (options.rateLimits !== undefined && typeof options.rateLimits !== 'boolean') {
    issues.push({
      path: 'redis.rateLimits',
      message: `must be true or false, got ${String(options.rateLimits)}`,
    });
  }
  if (options.logger !== undefined && (typeof options.logger !== 'object' || options.logger === null)) {
    issues.push({ path: 'redis.logger', message: 'must be an object with debug/info/warn/error methods' });
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    redis: options.redis,
    prefix,
    namespace,
    breakerTtlMs,
    startTimeoutMs,
    logger: options.logger ?? client.config.logger,
    rateLimits: options.rateLimits ?? SHARING_DEFAULTS.rateLimits,
    rateLimitTimeoutMs,
  });
}

/** A short hash of the sorted deployment ids: the same on every replica that runs the same config. */
export function defaultNamespace(client: AiClient): string {
  const ids = [...client.config.deployments.keys()].sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
}

function checkConnection(redis: unknown, issues: ConfigIssue[]): void {
  const path = 'redis.redis';
  if (typeof redis === 'string') {
    let protocol: string | undefined;
    try {
      protocol = new URL(redis).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      issues.push({
        path,
        message:
          'must be a redis:// or rediss:// URL, or an ioredis connection (for sockets, Sentinel and the like)',
      });
    }
    return;
  }
  if (typeof redis !== 'object' || redis === null) {
    issues.push({ path, message: 'is required: a redis:// URL or an ioredis connection' });
    return;
  }
  const candidate = redis as Record<string, unknown>;
  if (candidate.isCluster === true) {
    issues.push({
      path,
      message: 'a Redis Cluster is not supported: pass a connection to one Redis (or its primary)',
    });
    return;
  }
  const missing = ['duplicate', 'multi', 'scan', 'mget', 'on', 'off'].filter(
    (method) => typeof candidate[method] !== 'function',
  );
  if (missing.length > 0) {
    issues.push({ path, message: `is not an ioredis connection (no ${missing.join(', ')})` });
  }
}

function segment(value: unknown, name: string, issues: ConfigIssue[]): string | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > MAX_SEGMENT_LENGTH ||
    /\s/.test(value)
  ) {
    issues.push({
      path: `redis.${name}`,
      message: `must be a non-empty string of at most ${MAX_SEGMENT_LENGTH} characters without spaces`,
    });
    return undefined;
  }
  return value;
}

function duration(value: unknown, name: string, min: number, issues: ConfigIssue[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_DURATION_MS) {
    issues.push({
      path: `redis.${name}`,
      message: `must be an integer number of ms from ${min} to ${MAX_DURATION_MS}, got ${String(value)}`,
    });
    return undefined;
  }
  return value;
}
