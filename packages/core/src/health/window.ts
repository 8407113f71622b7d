/** A fixed-size window of the latest outcomes of one deployment. */

/**
 * Ring buffer of the last `capacity` outcomes (success flag and latency), in preallocated typed
 * arrays: recording is O(1) and allocates nothing; the oldest outcome drops out once full.
 */
export class OutcomeWindow {
  /** Most outcomes kept. */
  readonly capacity: number;
  readonly #succeeded: Uint8Array;
  readonly #latencyMs: Float64Array;
  /** Slot the next outcome goes to. */
  #next = 0;
  #size = 0;
  #successes = 0;

  /** @throws RangeError unless `capacity` is a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#succeeded = new Uint8Array(capacity);
    this.#latencyMs = new Float64Array(capacity);
  }

  /** Outcomes in the window. */
  get size(): number {
    return this.#size;
  }

  /** Successes in the window. */
  get successes(): number {
    return this.#successes;
  }

  /** Failures in the window. */
  get failures(): number {
    return this.#size - this.#successes;
  }

  /** Successes / outcomes in the window; `undefined` when it is empty. */
  get successRate(): number | undefined {
    return this.#size === 0 ? undefined : this.#successes / this.#size;
  }

  /** Adds one outcome, evicting the oldest when full. `latencyMs` is `NaN` when unknown. */
  record(success: boolean, latencyMs: number): void {
    const slot = this.#next;
    if (this.#size === this.capacity) {
      this.#successes -= this.#succeeded[slot];
    } else {
      this.#size++;
    }
    this.#succeeded[slot] = success ? 1 : 0;
    this.#latencyMs[slot] = latencyMs;
    if (success) this.#successes++;
    this.#next = slot + 1 === this.capacity ? 0 : slot + 1;
  }

  /** Empties the window. */
  clear(): void {
    this.#next = 0;
    this.#size = 0;
    this.#successes = 0;
  }

  /**
   * Copies the known latencies of successes into `into` (at least `capacity` long, unordered) and
   * returns how many there are: percentiles on the request path without allocating.
   */
  copySuccessLatencies(into: Float64Array): number {
    let k = 0;
    for (let i = 0; i < this.#size; i++) {
      const latency = this.#latencyMs[i]!;
      if (this.#succeeded[i] === 1 && !Number.isNaN(latency)) into[k++] = latency;
    }
    return k;
  }

  /**
   * A new array of the known latencies in the window (unordered): of successes only by default,
   * of every outcome with `successesOnly` false. Unknown (`NaN`) latencies are left out.
   */
  latencies(successesOnly = true): Float64Array {
    let count = 0;
    for (let i = 0; i < this.#size; i++) {
      if ((!successesOnly || this.#succeeded[i] === 1) && !Number.isNaN(this.#latencyMs[i])) count++;
    }
    const out = new Float64Array(count);
    for (let i = 0, k = 0; i < this.#size; i++) {
      const latency = this.#latencyMs[i];
      if ((!successesOnly || this.#succeeded[i] === 1) && !Number.isNaN(latency)) out[k++] = latency;
    }
    return out;
  }
}

/**
 * Nearest-rank percentile of ascending `sorted` values: the smallest value with at least
 * `percentile`% of the values at or below it. `undefined` when there is no value.
 */
export function nearestRank(sorted: ArrayLike<number>, percentile: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const rank = Math.ceil((percentile / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1];
}
