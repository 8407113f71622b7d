/**
 * Client-side rate limits: requests and tokens per minute over a sliding window, per scope (a
 * deployment, a provider, one key of a provider). A call takes one request and its estimated
 * tokens from every scope it draws on, or from none of them, so a refused call leaves no trace.
 *
 * The window is 60 one-second buckets plus the current one: a call counts for between 60 and 61
 * seconds, never less, so the limit is never exceeded over any 60 s stretch the provider measures.
 */

/** Length of a rate-limit window. */
export const RATE_WINDOW_MS = 60_000;
/** Granularity of the window. */
export const RATE_BUCKET_MS = 1_000;
/** Buckets kept: the 60 of the window and the current one. */
export const RATE_BUCKETS = RATE_WINDOW_MS / RATE_BUCKET_MS + 1;

/** One budget a call draws on. */
export interface RateScope {
  /**
   * Stable name, the same on every replica that runs the same config: `deployment:a/gpt-4.1`,
   * `provider:a`, `key:a:<fingerprint>` (never the key itself).
   */
  readonly id: string;
  /** Requests per minute; undefined: not limited. */
  readonly rpm: number | undefined;
  /** Tokens per minute; undefined: not limited. */
  readonly tpm: number | undefined;
}

/** The answer to a request for budget. */
export interface RateDecision {
  /** True when the budget was taken. */
  readonly allowed: boolean;
  /** When refused: epoch ms from which the refusing scope has room for this call. */
  readonly retryAt: number;
  /** When refused: the id of the scope that refused. */
  readonly scope?: string;
}

/**
 * Where windows live: in this process by default, in Redis to share them across replicas. A
 * shared store that cannot answer (its server is away) resolves `undefined`, and the call is
 * decided by this process's own windows instead.
 */
export interface RateLimitStore {
  /**
   * Takes one request and `tokens` tokens from every scope, or nothing when one of them has no
   * room. May answer asynchronously (a shared store); the local store answers at once.
   */
  take(
    scopes: readonly RateScope[],
    tokens: number,
    now: number,
  ): RateDecision | undefined | Promise<RateDecision | undefined>;
  /** Adds `tokens` (negative: gives back) to the current bucket of every scope: a correction after the fact. */
  adjust(scopes: readonly RateScope[], tokens: number, now: number): void;
  /** Requests and tokens each scope holds in its window now (for health reports). */
  usage?(scope: RateScope, now: number): { requests: number; tokens: number } | undefined;
}

export const ALLOWED: RateDecision = Object.freeze({ allowed: true, retryAt: 0 });

/**
 * The sliding window of one scope: per bucket, the requests and tokens taken. O(61) per check,
 * no allocation.
 */
export class SlidingWindow {
  readonly #bucketOf = new Float64Array(RATE_BUCKETS).fill(-1);
  readonly #requests = new Float64Array(RATE_BUCKETS);
  readonly #tokens = new Float64Array(RATE_BUCKETS);

  /** Requests and tokens in the window at `now`. */
  totals(now: number): { requests: number; tokens: number } {
    const current = Math.floor(now / RATE_BUCKET_MS);
    let requests = 0;
    let tokens = 0;
    for (let i = 0; i < RATE_BUCKETS; i++) {
      if (this.#live(i, current)) {
        requests += this.#requests[i]!;
        tokens += this.#tokens[i]!;
      }
    }
    return { requests, tokens: Math.max(0, tokens) };
  }

  /**
   * When one more request of `tokens` fits in `limits`: `now` (or earlier) when it fits now, else
   * the epoch ms the oldest buckets leave the window and make room. A call larger than the whole
   * token budget fits once the window holds no tokens.
   */
  fitsAt(limits: RateScope, tokens: number, now: number): number {
    const current = Math.floor(now / RATE_BUCKET_MS);
    const { requests, tokens: used } = this.totals(now);
    const rpm = limits.rpm;
    const tpm = limits.tpm;
    const needed = tpm === undefined ? 0 : Math.min(tokens, tpm);
    const excessRequests = rpm === undefined ? 0 : requests + 1 - rpm;
    const excessTokens = tpm === undefined ? 0 : used + needed - tpm;
    if (excessRequests <= 0 && excessTokens <= 0) return now;
    // Walk the buckets from the oldest, freeing what each gives back when it leaves the window.
    let freedRequests = 0;
    let freedTokens = 0;
    for (let age = RATE_BUCKETS - 1; age >= 0; age--) {
      const bucket = current - age;
      const slot = modulo(bucket, RATE_BUCKETS);
      if (this.#bucketOf[slot] !== bucket) continue;
      freedRequests += this.#requests[slot]!;
      freedTokens += this.#tokens[slot]!;
      if (freedRequests >= excessRequests && freedTokens >= excessTokens) {
        return (bucket + RATE_BUCKETS) * RATE_BUCKET_MS;
      }
    }
    return (current + RATE_BUCKETS) * RATE_BUCKET_MS;
  }

  /** Adds to the current bucket. */
  add(requests: number, tokens: number, now: number): void {
    const current = Math.floor(now / RATE_BUCKET_MS);
    const slot = modulo(current, RATE_BUCKETS);
    if (this.#bucketOf[slot] !== current) {
      this.#bucketOf[slot] = current;
      this.#requests[slot] = 0;
      this.#tokens[slot] = 0;
    }
    this.#requests[slot]! += requests;
    this.#tokens[slot]! += tokens;
  }

  #live(slot: number, current: number): boolean {
    const bucket = this.#bucketOf[slot]!;
    return bucket > current - RATE_BUCKETS && bucket <= current;
  }
}

/** Windows kept in this process: the default store, and the fallback of a shared one. */
export class LocalRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, SlidingWindow>();

  take(scopes: readonly RateScope[], tokens: number, now: number): RateDecision {
    let retryAt = 0;
    let refusing: string | undefined;
    for (const scope of scopes) {
      const at = this.#window(scope.id).fitsAt(scope, tokens, now);
      if (at > now && at > retryAt) {
        retryAt = at;
        refusing = scope.id;
      }
    }
    if (refusing !== undefined) return { allowed: false, retryAt, scope: refusing };
    for (const scope of scopes) this.#window(scope.id).add(1, scope.tpm === undefined ? 0 : tokens, now);
    return ALLOWED;
  }

  adjust(scopes: readonly RateScope[], tokens: number, now: number): void {
    if (tokens === 0) return;
    for (const scope of scopes) if (scope.tpm !== undefined) this.#window(scope.id).add(0, tokens, now);
  }

  usage(scope: RateScope, now: number): { requests: number; tokens: number } | undefined {
    return this.#windows.get(scope.id)?.totals(now);
  }

  #window(id: string): SlidingWindow {
    let window = this.#windows.get(id);
    if (!window) {
      window = new SlidingWindow();
      this.#windows.set(id, window);
    }
    return window;
  }
}

function modulo(n: number, m: number): number {
  return ((n % m) + m) % m;
}
