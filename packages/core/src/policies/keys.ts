import { createHash } from 'node:crypto';

/**
 * The keys of one provider, used in turn. A key that gets a 429 or 401 cools down on its own while
 * the others keep serving.
 */
export class KeyPool {
  readonly #keys: readonly string[];
  /** A truncated SHA-256 of each key: how keys are named outside the process. */
  readonly fingerprints: readonly string[];
  readonly #coolUntil: Float64Array;
  #next = 0;

  constructor(keys: readonly string[]) {
    this.#keys = keys;
    this.fingerprints = keys.map((key) => createHash('sha256').update(key).digest('base64url').slice(0, 16));
    this.#coolUntil = new Float64Array(keys.length);
  }

  get size(): number {
    return this.#keys.length;
  }

  /** Index of the next key not cooling down (round robin), or -1 when all are; 0 when keyless. */
  pick(now: number): number {
    const n = this.#keys.length;
    if (n === 0) return 0;
    for (let i = 0; i < n; i++) {
      const at = (this.#next + i) % n;
      if (this.#coolUntil[at]! <= now) {
        this.#next = (at + 1) % n;
        return at;
      }
    }
    return -1;
  }

  key(index: number): string | undefined {
    return this.#keys[index];
  }

  coolDown(index: number, untilMs: number): void {
    if (index < this.#keys.length && this.#coolUntil[index]! < untilMs) this.#coolUntil[index] = untilMs;
  }

  /** Earliest time a key is usable again (now or earlier when one is usable). */
  availableAt(): number {
    if (this.#keys.length === 0) return 0;
    let earliest = Number.POSITIVE_INFINITY;
    for (const t of this.#coolUntil) if (t < earliest) earliest = t;
    return earliest;
  }

  /** How many keys are usable now. */
  availableCount(now: number): number {
    let n = 0;
    for (const t of this.#coolUntil) if (t <= now) n++;
    return n;
  }

  /** A key other than `index` is usable now (false for a keyless provider). */
  usableOtherThan(index: number, now: number): boolean {
    for (let i = 0; i < this.#coolUntil.length; i++)
      if (i !== index && this.#coolUntil[i]! <= now) return true;
    return false;
  }

  /** Every key is cooling down. */
  exhausted(now: number): boolean {
    return this.availableAt() > now;
  }
}
