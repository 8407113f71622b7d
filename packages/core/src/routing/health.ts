import {
  effectiveWeight,
  type RoutingCandidate,
  type RoutingStrategy,
  type StrategyOptions,
} from './strategy';
import { weightedShuffle } from './weighted';

/**
 * The weight the `health` strategy draws with: the deployment's weight times its health score
 * (`health.scoreWeights.success × success rate + scoreWeights.latency × latency score`). A
 * deployment failing half its calls is drawn about two thirds as often as a sound one of the same
 * weight; one with a score of 0 comes last.
 */
export function healthWeight(candidate: RoutingCandidate): number {
  const score = candidate.healthScore ?? 1;
  return effectiveWeight(candidate.deployment) * Math.max(0, score);
}

/** Weighted random order, weights scaled by health (see {@link healthWeight}). */
export class HealthStrategy implements RoutingStrategy {
  readonly name = 'health';
  readonly #random: () => number;

  constructor(options: StrategyOptions = {}) {
    this.#random = options.random ?? Math.random;
  }

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    return weightedShuffle(candidates.slice(), this.#random, healthWeight);
  }
}
