import { compareByPriority, type RoutingCandidate, type RoutingStrategy, stableSort } from './strategy';

/** Ascending `priority`; deployments of equal priority keep their input order. */
export class PriorityStrategy implements RoutingStrategy {
  readonly name = 'priority';

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    return stableSort<T>(candidates.slice(), compareByPriority);
  }
}
