/**
 * Where a group's candidates go for one call, after its strategy (and its canary, for the calls in
 * the canary's share) ordered them: unhealthy ones last, whatever their region; before them, the
 * preferred region's ahead of every other region's, and within each region healthy ahead of slow.
 * The order given decides within each of these ranks, so the strategy still spreads calls.
 *
 * Unhealthy means "cannot serve now" (a probe found it dead, its provider refuses every key, it
 * failed `health.unhealthyAfter` times in a row): the call crosses regions before paying for it.
 * Slow still serves: the region preference wins over it.
 *
 * A canary is judged by its rollback rules, not by health: in front of the calls in its share, it
 * keeps its place within its region whatever its tier, or a few failures in a row would starve the
 * rules of the calls they need to roll it back.
 */
import { stableSort } from './strategy';

/** Routing tier of a candidate: 0 healthy, 1 slow (degraded), 2 unhealthy. */
export type Tier = 0 | 1 | 2;

/** A candidate with what placement reads. */
export interface Placeable {
  readonly deployment: { readonly region?: string | undefined };
  readonly runtime: { routingTier(now: number): Tier };
  /** Set on a group's canary. */
  readonly canary?: object | undefined;
}

/** 0 (first) to 4 (last): unhealthy 4; otherwise 2 when outside the preferred region, plus its tier. */
function rank(candidate: Placeable, region: string | undefined, now: number): number {
  const tier = candidate.canary === undefined ? candidate.runtime.routingTier(now) : 0;
  if (tier === 2) return 4;
  return (region !== undefined && candidate.deployment.region !== region ? 2 : 0) + tier;
}

/**
 * Sorts `ordered` in place, stably, by rank, and returns it; unchanged (no sort at all) when it is
 * in place already, as it is while every candidate is healthy and in the preferred region.
 * Candidates without a region count as elsewhere; no preferred region: health alone decides.
 */
export function place<T extends Placeable>(ordered: T[], region: string | undefined, now: number): T[] {
  let previous = 0;
  for (const candidate of ordered) {
    const r = rank(candidate, region, now);
    if (r < previous) return stableSort(ordered, (a, b) => rank(a, region, now) - rank(b, region, now));
    previous = r;
  }
  return ordered;
}
