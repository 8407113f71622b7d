import type { RateLimitOptions } from './types';

/** A sliding-window request counter. */
export class RateLimiter {
  private admitted: number[] = [];

  constructor(private readonly options: RateLimitOptions) {}

  /** Admits a request at `now`, or returns how many ms until a slot frees up. */
  take(now: number): { admitted: true } | { admitted: false; retryAfterMs: number } {
    const windowStart = now - this.options.windowMs;
    while (this.admitted.length > 0 && this.admitted[0]! <= windowStart) this.admitted.shift();
    if (this.admitted.length >= this.options.limit) {
      const oldest = this.admitted[0] ?? now;
      return { admitted: false, retryAfterMs: Math.max(0, oldest + this.options.windowMs - now) };
    }
    this.admitted.push(now);
    return { admitted: true };
  }

  /** The window's state at `now` as OpenAI's rate-limit headers tell it. */
  headers(now: number): Record<string, string> {
    const windowStart = now - this.options.windowMs;
    while (this.admitted.length > 0 && this.admitted[0]! <= windowStart) this.admitted.shift();
    const newest = this.admitted[this.admitted.length - 1];
    const resetMs = newest === undefined ? 0 : Math.max(0, newest + this.options.windowMs - now);
    return {
      'x-ratelimit-limit-requests': String(this.options.limit),
      'x-ratelimit-remaining-requests': String(Math.max(0, this.options.limit - this.admitted.length)),
      'x-ratelimit-reset-requests': `${Math.ceil(resetMs)}ms`,
    };
  }
}
