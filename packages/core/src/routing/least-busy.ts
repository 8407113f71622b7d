import { type RoutingCandidate, type RoutingStrategy, stableSort } from './strategy';

function compareBusy(a: RoutingCandidate, b: RoutingCandidate): number {
  return a.inFlight - b.inFlight || a.deployment.priority - b.deployment.priority;
}

/** Ascending requests in flight; ties by priority, then input order. */
export class LeastBusyStrategy implements RoutingStrategy {
  readonly name = 'least-busy';

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    return stableSort<T>(candidates.slice(), compareBusy);
  }
}
