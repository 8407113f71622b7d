/** Optional peer dependencies (prom-client, @opentelemetry/api): telling "not installed" from a real failure. */

/**
 * True when `error`, thrown by `require(name)`, says that `name` itself is not installed (and not
 * that something it requires is missing, which is a real failure to report).
 */
export function isMissingModule(error: unknown, name: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    code === 'MODULE_NOT_FOUND' &&
    typeof message === 'string' &&
    (message.includes(`'${name}'`) || message.includes(`"${name}"`))
  );
}
