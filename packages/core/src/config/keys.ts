/** Reading API keys, including those named by environment variables. */
import type { ConfigIssue } from '../errors';
import { formatPath } from './paths';
import { asArray, asRecord } from './records';
import { apiKeySchema, type ParsedApiKey } from './schema';

/**
 * Resolves the keys of every provider of an unvalidated `providers` value, in config order.
 * Providers whose `apiKey` is malformed (reported by the schema) get no keys. Messages name
 * environment variables but never contain a key.
 */
export function resolveAllKeys(
  providers: unknown,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): string[][] {
  return (asArray(providers) ?? []).map((provider, index) => {
    const apiKey = apiKeySchema.optional().safeParse(asRecord(provider)?.apiKey);
    return apiKey.success ? resolveKeys(apiKey.data, env, ['providers', index, 'apiKey'], issues) : [];
  });
}

/** The literal keys of one validated `apiKey` value (empty when it is absent). */
export function resolveKeys(
  apiKey: ParsedApiKey | undefined,
  env: NodeJS.ProcessEnv,
  path: readonly PropertyKey[],
  issues: ConfigIssue[],
): string[] {
  if (apiKey === undefined) return [];
  const sources = Array.isArray(apiKey)
    ? apiKey.map((source, index) => ({ source, path: [...path, index] }))
    : [{ source: apiKey, path }];
  const keys: string[] = [];
  const firstPathByKey = new Map<string, readonly PropertyKey[]>();
  for (const { source, path: where } of sources) {
    const key = typeof source === 'string' ? source : readEnvKey(source.env, env, where, issues);
    if (key === undefined) continue;
    const first = firstPathByKey.get(key);
    if (first === undefined) {
      firstPathByKey.set(key, where);
      keys.push(key);
      continue;
    }
    const label = formatPath(first.slice(-2));
    const message =
      typeof source === 'string'
        ? `duplicate key: the same key is already given at ${label}`
        : `duplicate key: environment variable ${source.env} holds the same key as ${label}`;
    issues.push({ path: formatPath(where), message });
  }
  return keys;
}

function readEnvKey(
  name: string,
  env: NodeJS.ProcessEnv,
  path: readonly PropertyKey[],
  issues: ConfigIssue[],
): string | undefined {
  const value: unknown = env[name];
  if (typeof value === 'string' && value !== '' && value.trim() === value) return value;
  const problem =
    typeof value !== 'string'
      ? 'is not set'
      : value === ''
        ? 'is not set (it is empty)'
        : 'has leading or trailing whitespace';
  issues.push({ path: formatPath(path), message: `environment variable ${name} ${problem}` });
  return undefined;
}
