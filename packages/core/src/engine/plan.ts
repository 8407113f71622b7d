/**
 * The candidates of one request, in order: each group's deployments as its strategy orders them,
 * group after group (the group asked for, then its fallbacks). Deployments that cannot take a call
 * now are set aside ("deferred") with the time they are due back; dropped ones (they failed in a
 * way a retry in this request would not mend) are not tried again.
 */
import { UnknownModelError } from '../errors';
import type { RoutingContext } from '../routing';
import { preferRegion } from '../routing/region';
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

  /** The next candidate usable now; the ones passed over because they are not usable are deferred. */
  next(now: number): GroupMember | undefined {
    for (;;) {
      while (this.#position < this.#queue.length) {
        const member = this.#queue[this.#position++]!;
        const id = member.runtime.id;
        if (this.#isDropped(id) || this.#isDeferred(id)) continue;
        if (!member.runtime.usable(now)) {
          this.#deferred.push(member);
          continue;
        }
        return member;
      }
      if (++this.#groupIndex >= this.#groups.length) return undefined;
      const group = this.#runtime.groups.get(this.#groups[this.#groupIndex]!)!;
      const queue = group.strategy.order(group.members, this.#request);
      // The group's canary goes first for the share of calls it takes, and is not tried otherwise.
      const canary = group.canary;
      if (canary?.canary?.picks(this.#request.affinityKey, this.#random)) queue.unshift(canary);
      this.#queue = preferRegion(queue, this.#request.region);
      this.#position = 0;
    }
  }

  /** Sets a candidate aside until it is usable again (a cooldown, an open breaker). */
  defer(member: GroupMember): void {
    if (!this.#isDeferred(member.runtime.id)) this.#deferred.push(member);
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

  #isDropped(id: string): boolean {
    return this.#dropped?.has(id) === true;
  }

  #isDeferred(id: string): boolean {
    for (const member of this.#deferred) if (member.runtime.id === id) return true;
    return false;
  }
}
