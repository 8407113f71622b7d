/**
 * Time as the engine reads it. Every duration (latency, elapsed, time left) and every "until"
 * (cooldowns, open breakers) comes from one clock, so a test can move time forward instead of
 * sleeping. Timers that wait for real I/O (deadlines, attempt timeouts) stay real.
 */

/** A source of time in epoch milliseconds that never runs backwards. */
export interface Clock {
  now(): number;
}

const origin = performance.timeOrigin;

/**
 * `performance.now()` on the epoch scale: monotonic (a wall-clock step cannot make a latency
 * negative or end a cooldown early) and still comparable with times other replicas share.
 */
export const systemClock: Clock = Object.freeze({ now: () => origin + performance.now() });
