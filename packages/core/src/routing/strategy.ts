/** The contract every routing strategy follows, and the comparisons several of them share. */
import type { ResolvedDeployment, RoutingStrategyName } from '../types';

/** One deployment the engine may try, with the live figures the strategies read. */
export interface RoutingCandidate {
  readonly deployment: ResolvedDeployment;
  /** Requests in flight to this deployment now. */
  readonly inFlight: number;
  /** Latency EWMA of recent successes; `undefined` while there is no sample yet. */
  readonly latencyEwmaMs: number | undefined;
  /** Health score, 0..1 (`health.scoreWeights`); 1 when not given. */
  readonly healthScore?: number;
}

/** Per-request facts a strategy may use. */
export interface RoutingContext {
  /** Key for consistent hashing (a user or session id). */
  readonly affinityKey?: string;
}

/** Orders a model group's candidates for one request. */
export interface RoutingStrategy {
  readonly name: RoutingStrategyName;
  /** Returns a NEW array: every candidate exactly once, in the order to try them. Never mutates the input. */
  order<T extends RoutingCandidate>(candidates: readonly T[], context: RoutingContext): T[];
}

/** Options shared by the strategies. */
export interface StrategyOptions {
  /** Uniform draw in [0, 1); injectable for tests (default `Math.random`). */
  random?: () => number;
}

/** Lists up to this length are sorted by insertion (linear when already in order); longer ones by `Array#sort`. */
const INSERTION_SORT_LIMIT = 32;

/**
 * Sorts `items` in place, stably, and returns it. Model groups are short, so an insertion sort
 * does it without allocating; a longer list falls back to the engine's stable `Array#sort`.
 */
export function stableSort<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  const n = items.length;
  if (n > INSERTION_SORT_LIMIT) return items.sort(compare);
  for (let i = 1; i < n; i++) {
    const item = items[i];
    let j = i - 1;
    while (j >= 0 && compare(items[j], item) > 0) {
      items[j + 1] = items[j];
      j--;
    }
    items[j + 1] = item;
  }
  return items;
}

/** Ascending `deployment.priority`. */
export function compareByPriority(a: RoutingCandidate, b: RoutingCandidate): number {
  return a.deployment.priority - b.deployment.priority;
}

/**
 * The weight a strategy draws with: the deployment's weight when it is a positive finite number,
 * otherwise 0 (such a deployment is tried only after every positively weighted one).
 */
export function effectiveWeight(deployment: ResolvedDeployment): number {
  const weight = deployment.weight;
  return weight > 0 && weight < Number.POSITIVE_INFINITY ? weight : 0;
}
