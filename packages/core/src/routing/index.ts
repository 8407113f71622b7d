/** Routing: the order in which a model group's deployments are tried for one request. */
import { ConfigError } from '../errors';
import type { RoutingStrategyName } from '../types';
import { ConsistentHashStrategy } from './consistent-hash';
import { HealthStrategy } from './health';
import { LeastBusyStrategy } from './least-busy';
import { LowestLatencyStrategy } from './lowest-latency';
import { PriorityStrategy } from './priority';
import { RoundRobinStrategy } from './round-robin';
import type { RoutingStrategy, StrategyOptions } from './strategy';
import { WeightedStrategy } from './weighted';

export {
  ConsistentHashStrategy,
  fmix32,
  fnv1a32,
  rendezvousKeyHash,
  rendezvousRank,
} from './consistent-hash';
export { HealthStrategy, healthWeight } from './health';
export { LeastBusyStrategy } from './least-busy';
export { LowestLatencyStrategy } from './lowest-latency';
export { PriorityStrategy } from './priority';
export { RoundRobinStrategy } from './round-robin';
export {
  compareByPriority,
  effectiveWeight,
  type RoutingCandidate,
  type RoutingContext,
  type RoutingStrategy,
  type StrategyOptions,
  stableSort,
} from './strategy';
export { WeightedStrategy, weightedShuffle } from './weighted';

/**
 * A new strategy of the given name. Create one per model group: round-robin keeps its rotation
 * in the instance. Throws a `ConfigError` for an unknown name.
 */
export function createStrategy(name: RoutingStrategyName, options: StrategyOptions = {}): RoutingStrategy {
  switch (name) {
    case 'priority':
      return new PriorityStrategy();
    case 'weighted':
      return new WeightedStrategy(options);
    case 'round-robin':
      return new RoundRobinStrategy();
    case 'least-busy':
      return new LeastBusyStrategy();
    case 'lowest-latency':
      return new LowestLatencyStrategy();
    case 'consistent-hash':
      return new ConsistentHashStrategy(options);
    case 'health':
      return new HealthStrategy(options);
    default: {
      const unknown: never = name;
      throw new ConfigError([{ path: 'strategy', message: `unknown routing strategy "${String(unknown)}"` }]);
    }
  }
}
