import {
  effectiveWeight,
  type RoutingCandidate,
  type RoutingStrategy,
  type StrategyOptions,
} from './strategy';

/**
 * Reorders `items` in place by weighted random draws without replacement and returns it: the
 * first is drawn with probability proportional to its weight, the second likewise among the
 * rest, and so on. Deployments of weight 0 (or an invalid weight) end the list in input order.
 */
export function weightedShuffle<T extends RoutingCandidate>(
  items: T[],
  random: () => number,
  weightOf: (candidate: T) => number = configuredWeight,
): T[] {
  const n = items.length;
  let total = 0;
  let positives = 0;
  for (let i = 0; i < n; i++) {
    const weight = weightOf(items[i]);
    if (weight > 0) {
      total += weight;
      positives++;
    }
  }
  for (let i = 0; positives > 0; i++) {
    let remaining = positives === 1 ? 0 : random() * total;
    let pick = i;
    let pickedWeight = 0;
    for (let j = i; j < n; j++) {
      const weight = weightOf(items[j]);
      if (weight === 0) continue;
      pick = j;
      pickedWeight = weight;
      remaining -= weight;
      if (remaining < 0) break;
    }
    const chosen = items[pick];
    for (let k = pick; k > i; k--) items[k] = items[k - 1];
    items[i] = chosen;
    total -= pickedWeight;
    positives--;
  }
  return items;
}

function configuredWeight(candidate: RoutingCandidate): number {
  return effectiveWeight(candidate.deployment);
}

/** Weighted random order without replacement (see {@link weightedShuffle}). */
export class WeightedStrategy implements RoutingStrategy {
  readonly name = 'weighted';
  readonly #random: () => number;

  constructor(options: StrategyOptions = {}) {
    this.#random = options.random ?? Math.random;
  }

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    return weightedShuffle(candidates.slice(), this.#random);
  }
}
