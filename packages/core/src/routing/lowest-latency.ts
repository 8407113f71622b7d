import { type RoutingCandidate, type RoutingStrategy, stableSort } from './strategy';

function compareLatency(a: RoutingCandidate, b: RoutingCandidate): number {
  const x = a.latencyEwmaMs;
  const y = b.latencyEwmaMs;
  if (x === undefined) {
    if (y !== undefined) return -1;
  } else {
    if (y === undefined) return 1;
    const faster = x - y;
    if (faster) return faster;
  }
  return a.deployment.priority - b.deployment.priority;
}

/**
 * Ascending latency EWMA. Deployments with no sample yet go first, so they get measured; ties
 * (unmeasured ones included) by priority, then input order.
 */
export class LowestLatencyStrategy implements RoutingStrategy {
  readonly name = 'lowest-latency';

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    return stableSort<T>(candidates.slice(), compareLatency);
  }
}
