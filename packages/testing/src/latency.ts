/**
 * A delay in milliseconds: a fixed value, a uniform range, or a normal distribution.
 * Sampled values are clamped at 0.
 */
export type Latency = number | { min: number; max: number } | { mean: number; stddev: number };

function gaussian(): number {
  const u = 1 - Math.random();
  const v = Math.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Draws one delay, in milliseconds, from a {@link Latency}; `undefined` means no delay. */
export function sampleLatency(latency: Latency | undefined): number {
  if (latency === undefined) return 0;
  let value: number;
  if (typeof latency === 'number') value = latency;
  else if ('min' in latency) value = latency.min + Math.random() * (latency.max - latency.min);
  else value = latency.mean + gaussian() * latency.stddev;
  return Number.isFinite(value) ? Math.max(0, value) : 0;
}
