/** Validation and resolution of the user configuration. */
import { ConfigError } from '../errors';
import type { ResolvedConfig } from '../types';
import { buildConfig } from './build';
import { applyEnv } from './env';
import { toConfigIssues } from './issues';
import { resolveAllKeys } from './keys';
import { describeValue } from './messages';
import { asRecord } from './records';
import { checkReferences } from './references';
import { configSchema } from './schema';
import { resolveTransports } from './transport';

export { type ConfigDefaults, DEFAULTS } from './defaults';
export { formatPath } from './paths';

/**
 * Validates a user configuration (`AiFailoverConfig`) and returns a new, deeply frozen
 * `ResolvedConfig` with every default applied. The input is neither changed nor referenced by the
 * result (only the logger's methods are kept, bound to the logger).
 *
 * API keys given as `{ env: 'NAME' }` are read from `env` now, and so are the proxy variables
 * (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`) unless `proxyFromEnv` is `false`. User name and password in a
 * provider's `baseUrl` are stripped and not used. With `fromEnv`, the variables of the table in
 * `config/env.ts` override the config; a problem they cause is reported under their name.
 *
 * @param input The configuration, usually an object literal written by the app.
 * @param env Where `{ env: 'NAME' }` keys and `fromEnv` settings are read from (default `process.env`).
 * @throws ConfigError listing every problem found, each with its path (e.g. `providers[1].baseUrl`).
 *   No message contains an API key.
 */
export function resolveConfig(input: unknown, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const given = asRecord(input);
  if (!given) {
    throw new ConfigError([
      { path: '', message: `the config must be an object, got ${describeValue(input)}` },
    ]);
  }
  const fromEnv = applyEnv(given, env);
  const config = fromEnv.config;
  const parsed = configSchema.safeParse(config);
  const issues = parsed.success ? [] : toConfigIssues(parsed.error.issues, configSchema);
  const keys = resolveAllKeys(config.providers, env, issues);
  issues.push(...checkReferences(config));
  const transports = parsed.success ? resolveTransports(parsed.data, env, issues) : [];
  if (!parsed.success || issues.length > 0 || fromEnv.issues.length > 0) {
    throw new ConfigError([...fromEnv.issues, ...issues.map(fromEnv.relabel)]);
  }
  return buildConfig(parsed.data, keys, transports);
}
