/**
 * The candidates of one request, in order, group after group (the group asked for, then its
 * fallbacks). Within a group: its strategy's order, with the canary in front for the calls in its
 * share; then placed by health and region (`routing/placement.ts`): unhealthy last, the preferred
 * region's ahead of other regions', healthy ahead of slow (see `DeploymentRuntime.routingTier`).
 * Deployments that cannot take a call now (breaker open, cooling down, out of rate-limit budget)
 * are set aside ("deferred") with the time they are due back; dropped ones (they failed in a way a
 * retry in this request would not mend) are not tried again.
 */
import { UnknownModelError } from '../errors';
import type { RoutingContext } from '../routing';
import { place } from '../routing/placement';
import type { GroupMember, Runtime } from './runtime';
import type { SlotQueue } from './slots';

/** What a plan needs to know of its request. */
export interface PlanRequest extends RoutingContext {
  readonly model: string;
  readonly fallbacks: readonly string[];
  /** Region whose deployments go first in each group. */
  readonly region: string | undefined;
}

export class Plan {
  readonly #runtime: Runtime;
  readonly #request: PlanRequest;
  readonly #random: () => number;
  #groups: string[];
  #groupIndex = -1;
  #queue: readonly GroupMember[] = [];
  #position = 0;
  /** Deployments dropped in this request (made on the first drop: most requests have none). */
  #dropped: Set<string> | undefined;
  #deferred: GroupMember[] = [];
  /** Retries spent on deployments that were deferred (made on the first such deferral). */
  #spent: Map<string, number> | undefined;
  #contextSwitched = false;

  /** @throws UnknownModelError when the group or one of its fallbacks is not configured. */
  constructor(runtime: Runtime, request: PlanRequest, random: () => number = Math.random) {
    this.#runtime = runtime;
    this.#request = request;
    this.#random = random;
    this.#groups = [request.model, ...request.fallbacks];
    for (const name of this.#groups) {
      if (!runtime.groups.has(name)) throw new UnknownModelError(name, [...runtime.groups.keys()]);
    }
  }

  get deferredCount(): number {
    return this.#deferred.length;
  }

  /**
   * The next candidate usable now; the ones passed over because they are not usable are deferred.
   * With `healthyOnly` (a hedge), a next candidate that routing puts behind is left in place and
   * nothing is returned.
   */
  next(now: number, healthyOnly = false): GroupMember | undefined {
    for (;;) {
      while (this.#position < this.#queue.length) {
        const member = this.#queue[this.#position++]!;
        const id = member.runtime.id;
        if (this.#isDropped(id) || this.#isDeferred(id)) continue;
        if (!member.runtime.usable(now)) {
          this.#deferred.push(member);
          continue;
        }
        if (healthyOnly && member.runtime.routingTier(now) > 0) {
          this.#position--;
          return undefined;
        }
        return member;
      }
      if (++this.#groupIndex >= this.#groups.length) return undefined;
      const group = this.#runtime.groups.get(this.#groups[this.#groupIndex]!)!;
      const queue = group.strategy.order(group.members, this.#request);
      // The group's canary goes first for the share of calls it takes, and is not tried otherwise.
      const canary = group.canary;
      if (canary?.canary?.picks(this.#request.affinityKey, this.#random)) queue.unshift(canary);
      this.#queue = place(queue, this.#request.region, now);
      this.#position = 0;
    }
  }

  /**
   * Whether a candidate other than `id` that has not failed in this request could take an attempt
   * now (one put last after a timeout does not count: it already had its turn; nor does one whose
   * rate-limit gate has just refused a call and is not due back yet).
   */
  hasUsableOther(id: string, now: number): boolean {
    for (let i = this.#position; i < this.#queue.length; i++) {
      if (this.#fresh(this.#queue[i]!, id, now)) return true;
    }
    for (const member of this.#deferred) if (this.#fresh(member, id, now)) return true;
    for (let g = this.#groupIndex + 1; g < this.#groups.length; g++) {
      for (const member of this.#runtime.groups.get(this.#groups[g]!)!.members) {
        if (this.#fresh(member, id, now)) return true;
      }
    }
    return false;
  }

  /** Sets a candidate aside until it is usable again (a cooldown, an open breaker). */
  defer(member: GroupMember): void {
    if (!this.#isDeferred(member.runtime.id)) this.#deferred.push(member);
  }

  /**
   * Sets a candidate aside until every other one has had its turn (it spent its time on a timeout):
   * it comes back, with `spent` retries counted, only when nothing else is left.
   */
  putLast(member: GroupMember, spent: number): void {
    this.#spent ??= new Map();
    this.#spent.set(member.runtime.id, spent);
    this.defer(member);
  }

  /** Retries already spent on a deployment put last in this request. */
  spent(id: string): number {
    return this.#spent?.get(id) ?? 0;
  }

  /** Takes a deployment out of this request. */
  drop(deploymentId: string): void {
    if (!this.#dropped) this.#dropped = new Set();
    this.#dropped.add(deploymentId);
  }

  /** True when every candidate set aside is out of its rate-limit budget (and there is one). */
  allRateLimited(now: number): boolean {
    let any = false;
    for (const member of this.#deferred) {
      if (this.#isDropped(member.runtime.id)) continue;
      if (member.runtime.rateLimitedUntil <= now) return false;
      any = true;
    }
    return any;
  }

  /** The time the deferred candidate due back first is usable, if any. */
  earliestDeferred(now: number): { at: number; slot: SlotQueue | undefined } | undefined {
    let at = Number.POSITIVE_INFINITY;
    let first: GroupMember | undefined;
    for (const member of this.#deferred) {
      if (this.#isDropped(member.runtime.id)) continue;
      const due = member.runtime.availableAt(now);
      if (due < at) {
        at = due;
        first = member;
      }
    }
    if (!first) return undefined;
    // Waiting only for a free slot of its provider: a release, not a time, lets it through.
    const slot = first.runtime.waitsForSlot(now) ? first.runtime.provider.slots : undefined;
    return { at: Math.max(at, now), slot };
  }

  /** Puts the deferred candidates back in the queue, earliest due first. */
  retryDeferred(now: number): void {
    const queue = this.#deferred.filter((m) => !this.#isDropped(m.runtime.id));
    queue.sort((a, b) => a.runtime.availableAt(now) - b.runtime.availableAt(now));
    this.#deferred = [];
    this.#queue = queue;
    this.#position = 0;
  }

  /** Whether `group` has a context fallback this plan has not moved to yet. */
  hasContextFallback(group: string): boolean {
    return !this.#contextSwitched && this.#runtime.groups.get(group)?.config.contextFallback !== undefined;
  }

  /** Moves the whole plan to the group's context fallback, once. */
  switchToContextFallback(group: string): boolean {
    const target = this.#runtime.groups.get(group)?.config.contextFallback;
    if (!target || this.#contextSwitched) return false;
    this.#contextSwitched = true;
    this.#groups = [target];
    this.#groupIndex = -1;
    this.#queue = [];
    this.#position = 0;
    this.#deferred = [];
    return true;
  }

  #fresh(member: GroupMember, exclude: string, now: number): boolean {
    const id = member.runtime.id;
    return (
      id !== exclude &&
      !this.#isDropped(id) &&
      this.#spent?.has(id) !== true &&
      member.runtime.usable(now) &&
      member.runtime.rateLimitedUntil <= now
    );
  }

  #isDropped(id: string): boolean {
    return this.#dropped?.has(id) === true;
  }

  #isDeferred(id: string): boolean {
    for (const member of this.#deferred) if (member.runtime.id === id) return true;
    return false;
  }
}
