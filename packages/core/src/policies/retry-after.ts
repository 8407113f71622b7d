/**
 * Reads how long a provider asks us to wait: `retry-after-ms` (OpenAI) or `Retry-After` (seconds or
 * an HTTP date). The wait is cut to `maxMs` (default an hour); a value that is not a number or a date, or is negative,
 * is ignored (`undefined`), as if the header were absent.
 */
export function parseRetryAfter(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  maxMs: number = 3_600_000,
  now: number = Date.now(),
): number | undefined {
  const ms =
    waitOf(first(headers['retry-after-ms']), 1, now) ?? waitOf(first(headers['retry-after']), 1000, now);
  return ms === undefined ? undefined : Math.min(ms, maxMs);
}

/** A wait in ms from a number of `unit`s (or, for seconds, an HTTP date); `undefined` if invalid. */
function waitOf(raw: string | undefined, unit: number, now: number): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isNaN(value)) return value >= 0 ? Math.ceil(value * unit) : undefined;
  if (unit !== 1000) return undefined;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
