import {
  effectiveWeight,
  type RoutingCandidate,
  type RoutingContext,
  type RoutingStrategy,
  type StrategyOptions,
} from './strategy';
import { WeightedStrategy } from './weighted';

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Mixed in between the key and the deployment id; no UTF-16 code unit equals it. */
const SEPARATOR = 0x10000;
const TWO_POW_32 = 4294967296;

/** FNV-1a over the UTF-16 code units of `text`, continuing from `hash`. Unsigned 32-bit. */
export function fnv1a32(text: string, hash: number = FNV_OFFSET_BASIS): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** The murmur3 32-bit finalizer: spreads every input bit over the whole output. Unsigned. */
export function fmix32(hash: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The rendezvous rank of one deployment for a key already hashed into `keyHash` (see
 * {@link rendezvousKeyHash}): `-ln(u) / weight`, with `u` in (0, 1) the hash of key and id.
 * Lowest goes first. Over keys, it is an exponential draw of rate `weight`, so the lowest of a
 * set lands on each deployment with probability proportional to its weight; and it depends on
 * that deployment alone, so removing one deployment moves only the keys it held. Weight 0 ranks
 * `Infinity`.
 */
export function rendezvousRank(keyHash: number, id: string, weight: number): number {
  const u = (fmix32(fnv1a32(id, keyHash)) + 0.5) / TWO_POW_32;
  return -Math.log(u) / weight;
}

/** The state {@link rendezvousRank} starts from for `affinityKey`. */
export function rendezvousKeyHash(affinityKey: string): number {
  return Math.imul(fnv1a32(affinityKey) ^ SEPARATOR, FNV_PRIME) >>> 0;
}

/**
 * Weighted rendezvous (highest random weight) hashing on `affinityKey` and deployment id. A key
 * always gets the same order while the candidate set is unchanged; when a deployment leaves,
 * only the keys that were on it move, each to its own next choice; first choices spread over
 * keys in proportion to weight. Without an affinity key (absent or empty) it orders like
 * `weighted`.
 */
export class ConsistentHashStrategy implements RoutingStrategy {
  readonly name = 'consistent-hash';
  readonly #fallback: WeightedStrategy;
  /** Scratch ranks, reused across calls (`order` runs to completion synchronously). */
  #ranks = new Float64Array(16);

  constructor(options: StrategyOptions = {}) {
    this.#fallback = new WeightedStrategy(options);
  }

  order<T extends RoutingCandidate>(candidates: readonly T[], context: RoutingContext): T[] {
    const key = context.affinityKey;
    if (key === undefined || key === '') return this.#fallback.order(candidates);
    const ordered = candidates.slice();
    const n = ordered.length;
    if (n < 2) return ordered;
    if (this.#ranks.length < n) this.#ranks = new Float64Array(Math.max(n, this.#ranks.length * 2));
    const ranks = this.#ranks;
    const keyHash = rendezvousKeyHash(key);
    for (let i = 0; i < n; i++) {
      const deployment = ordered[i].deployment;
      ranks[i] = rendezvousRank(keyHash, deployment.id, effectiveWeight(deployment));
    }
    for (let i = 1; i < n; i++) {
      const item = ordered[i];
      const rank = ranks[i];
      let j = i - 1;
      while (j >= 0 && ranks[j] > rank) {
        ordered[j + 1] = ordered[j];
        ranks[j + 1] = ranks[j];
        j--;
      }
      ordered[j + 1] = item;
      ranks[j + 1] = rank;
    }
    return ordered;
  }
}
