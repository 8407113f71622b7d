import type { RoutingCandidate, RoutingStrategy } from './strategy';

/**
 * Rotation: each call starts one further along and keeps the input order from there, wrapping.
 *
 * The instance remembers, per deployment id, the call on which that deployment last went first,
 * and each call starts with the deployment whose turn is oldest (one never first goes first).
 * With a fixed list this is a plain rotation; when the list grows, shrinks or alternates between
 * calls (a breaker opening, say), every deployment still gets its turn, which a bare counter
 * taken modulo the list length does not guarantee.
 */
export class RoundRobinStrategy implements RoutingStrategy {
  readonly name = 'round-robin';
  readonly #lastFirst = new Map<string, number>();
  #turn = 0;

  order<T extends RoutingCandidate>(candidates: readonly T[]): T[] {
    const n = candidates.length;
    if (n < 2) return candidates.slice();
    let start = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const turn = this.#lastFirst.get(candidates[i].deployment.id) ?? -1;
      if (turn < oldest) {
        oldest = turn;
        start = i;
        if (turn === -1) break;
      }
    }
    this.#lastFirst.set(candidates[start].deployment.id, ++this.#turn);
    const ordered = new Array<T>(n);
    for (let k = 0, i = start; k < n; k++) {
      ordered[k] = candidates[i];
      i = i + 1 === n ? 0 : i + 1;
    }
    return ordered;
  }
}
