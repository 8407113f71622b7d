/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(maxMs, baseMs × 2^retry)].
 * `retry` counts from 0 (the first retry).
 */
export function backoffDelay(
  retry: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}
