/**
 * The failover plan: walks a request's candidate deployments (its group, then its fallback groups)
 * under one deadline, retrying, waiting, cooling keys down and failing over as each outcome's
 * verdict says. The attempt itself (JSON call or stream) is passed in.
 */
import {
  AbortError,
  AllAttemptsFailedError,
  ClientClosedError,
  DeadlineExceededError,
  UnknownModelError,
  UpstreamError,
} from '../errors';
import type { Events } from '../events';
import { backoffDelay } from '../policies/backoff';
import type { Classification } from '../policies/classify';
import type { Redactor } from '../redact';
import type { AttemptDecision, AttemptReport, ResolvedPolicy } from '../types';
import { AttemptFailure } from './failure';
import type { DeploymentRuntime, GroupMember, Runtime } from './runtime';
import { AttemptScope, type RequestScope, sleep } from './scope';
import type { SlotQueue } from './slots';

/** Longest wait for a provider slot before the plan is looked at again (a release usually ends it first). */
const SLOT_RECHECK_MS = 1000;

/** Runs one attempt on a deployment. It must arm the attempt's clock itself. */
export type Perform<T> = (
  member: GroupMember,
  keyIndex: number,
  attempt: AttemptScope,
  timeoutMs: number,
) => Promise<T>;

export interface ExecuteRequest {
  readonly requestId: string;
  readonly model: string;
  readonly fallbacks: readonly string[];
  readonly affinityKey: string | undefined;
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly scope: RequestScope;
  readonly attempts: AttemptReport[];
}

export interface Executed<T> {
  readonly value: T;
  readonly member: GroupMember;
  readonly group: string;
  /** The attempt that succeeded; the caller disposes it (a stream keeps it open until it ends). */
  readonly attempt: AttemptScope;
  readonly latencyMs: number;
}

export class Executor {
  readonly #runtime: Runtime;
  readonly #policy: ResolvedPolicy;
  readonly #events: Events;
  readonly #redact: Redactor;
  readonly #random: () => number;

  constructor(
    runtime: Runtime,
    policy: ResolvedPolicy,
    events: Events,
    redact: Redactor,
    random = Math.random,
  ) {
    this.#runtime = runtime;
    this.#policy = policy;
    this.#events = events;
    this.#redact = redact;
    this.#random = random;
  }

  async execute<T>(request: ExecuteRequest, perform: Perform<T>): Promise<Executed<T>> {
    const { scope } = request;
    const plan = new Plan(this.#runtime, request);
    for (;;) {
      this.#throwIfAborted(request);
      const candidate = plan.next(Date.now());
      if (!candidate) {
        const due = plan.earliestDeferred(Date.now());
        if (!due || due.at - Date.now() > scope.remaining() - this.#policy.minAttemptMs) {
          throw this.#exhausted(request, plan);
        }
        if (due.slot) await this.#waitForSlot(due.slot, request);
        else await this.#wait(due.at - Date.now(), request);
        plan.retryDeferred();
        continue;
      }
      const result = await this.#tryDeployment(candidate, request, plan, perform);
      if (result) return result;
    }
  }

  /** Attempts on one deployment, with retries; undefined means move on. */
  async #tryDeployment<T>(
    member: GroupMember,
    request: ExecuteRequest,
    plan: Plan,
    perform: Perform<T>,
  ): Promise<Executed<T> | undefined> {
    const { group } = member;
    const deployment = member.runtime;
    const provider = deployment.provider;
    const { scope } = request;
    for (let retry = 0; ; ) {
      this.#throwIfAborted(request);
      const now = Date.now();
      const remaining = scope.remaining(now);
      if (remaining < this.#policy.minAttemptMs) throw this.#deadline(request);
      const keyIndex = provider.keys.pick(now);
      if (keyIndex < 0 || !deployment.usable(now)) {
        // Unusable since the decision to retry it (its breaker opened, its keys cooled down): the
        // retry becomes a failover.
        const last = retry > 0 ? request.attempts[request.attempts.length - 1] : undefined;
        if (last?.decision === 'retry') {
          last.decision = 'failover';
          this.#announceFailover(request, deployment.id, last.outcome, last.status);
        }
        plan.defer(member);
        return undefined;
      }
      const timeoutMs = Math.min(request.timeoutMs ?? provider.config.timeoutMs, remaining);
      const attempt = new AttemptScope(scope);
      const started = now;
      const wasHalfOpen = deployment.breaker.state === 'half-open';
      deployment.inFlight++;
      provider.inFlight++;
      let failure: AttemptFailure;
      try {
        const value = await deployment.breaker.run(() => perform(member, keyIndex, attempt, timeoutMs));
        const latencyMs = Date.now() - started;
        deployment.failuresInARow = 0;
        deployment.health.recordSuccess(latencyMs);
        this.#report(request, member, group, 'success', 'done', latencyMs, undefined);
        return { value, member, group, attempt, latencyMs };
      } catch (error) {
        attempt.dispose();
        if (!(error instanceof AttemptFailure)) {
          // The breaker refused (its half-open probe slot was taken meanwhile): no attempt was made.
          if (isOpenBreaker(error)) {
            plan.defer(member);
            return undefined;
          }
          throw error;
        }
        failure = error;
      } finally {
        deployment.inFlight--;
        provider.release();
      }

      const c = failure.classification;
      const latencyMs = Date.now() - started;
      if (c.outcome === 'aborted') {
        if (wasHalfOpen) deployment.breaker.revertProbe();
        this.#report(request, member, group, c, 'stop', latencyMs, c.message);
        throw this.#throwIfAborted(request) ?? new AbortError(request.attempts);
      }
      const message = this.#redact(c.message);
      deployment.health.recordFailure(c.outcome, latencyMs, message);
      if (c.countsForBreaker) this.#countFailure(deployment);
      const decision = this.#decide(c, member, keyIndex, retry, request, plan);
      this.#report(request, member, group, c, decision.action, latencyMs, message);
      switch (decision.action) {
        case 'stop':
          throw new UpstreamError({
            status: c.status,
            providerMessage: message,
            providerCode: c.providerCode,
            retryable: false,
            deployment: deployment.id,
            attempts: request.attempts,
          });
        case 'retry':
          retry++;
          if (decision.waitMs > 0) await this.#wait(decision.waitMs, request);
          continue;
        case 'failover':
          this.#announceFailover(request, deployment.id, c.outcome, c.status);
          return undefined;
        default:
          return undefined;
      }
    }
  }

  /** What to do after a failed attempt; also applies the cooldowns the outcome calls for. */
  #decide(
    c: Classification,
    member: GroupMember,
    keyIndex: number,
    retry: number,
    request: ExecuteRequest,
    plan: Plan,
  ): { action: Exclude<AttemptDecision, 'done'>; waitMs: number } {
    const deployment = member.runtime;
    const now = Date.now();
    const policy = this.#policy;
    const provider = deployment.provider;
    const budget = request.scope.remaining(now) - policy.minAttemptMs;
    const canRetry = retry < request.retries;
    switch (c.verdict) {
      case 'fatal':
        return { action: 'stop', waitMs: 0 };
      case 'context':
        return plan.switchToContextFallback(member.group)
          ? { action: 'failover', waitMs: 0 }
          : { action: 'stop', waitMs: 0 };
      case 'rate-limited': {
        const wait = c.retryAfterMs ?? policy.rateLimitCooldownMs;
        this.#runtime.coolDown(deployment, keyIndex, now + wait, 'rate_limited');
        if (canRetry && provider.keys.size > 1 && !provider.keys.exhausted(now))
          return { action: 'retry', waitMs: 0 };
        if (
          canRetry &&
          c.retryAfterMs !== undefined &&
          c.retryAfterMs <= policy.maxRetryAfterMs &&
          c.retryAfterMs < budget
        ) {
          return { action: 'retry', waitMs: c.retryAfterMs };
        }
        plan.defer(member);
        return { action: 'failover', waitMs: 0 };
      }
      case 'failover': {
        if (c.keyFault === 'auth') {
          this.#runtime.coolDown(
            deployment,
            keyIndex,
            now + policy.authCooldownMs,
            'auth',
            this.#redact(c.message),
          );
          if (provider.keys.size > 0 && !provider.keys.exhausted(now) && canRetry) {
            return { action: 'retry', waitMs: 0 };
          }
        }
        plan.fail(deployment.id);
        return { action: 'failover', waitMs: 0 };
      }
      case 'retry': {
        if (canRetry) {
          const backoff = backoffDelay(retry, policy.backoff.baseMs, policy.backoff.maxMs, this.#random);
          const waitMs =
            c.retryAfterMs !== undefined ? Math.min(c.retryAfterMs, policy.maxRetryAfterMs) : backoff;
          if (waitMs < budget) return { action: 'retry', waitMs };
        }
        plan.fail(deployment.id);
        return { action: 'failover', waitMs: 0 };
      }
    }
  }

  /** Opens the breaker after `breaker.consecutiveFailures` failures in a row. */
  #countFailure(deployment: DeploymentRuntime): void {
    const limit = this.#policy.breaker.consecutiveFailures;
    if (++deployment.failuresInARow >= limit && limit > 0 && deployment.breaker.state === 'closed') {
      deployment.failuresInARow = 0;
      deployment.breaker.open();
    }
  }

  #announceFailover(
    request: ExecuteRequest,
    from: string,
    reason: AttemptReport['outcome'],
    status: number | undefined,
  ): void {
    if (!this.#events.has('failover')) return;
    this.#events.emit('failover', {
      requestId: request.requestId,
      model: request.model,
      from,
      reason,
      status,
    });
  }

  #report(
    request: ExecuteRequest,
    member: GroupMember,
    group: string,
    c: Classification | 'success',
    decision: AttemptDecision,
    latencyMs: number,
    error: string | undefined,
  ): void {
    const report: AttemptReport = {
      deployment: member.runtime.id,
      provider: member.runtime.provider.config.id,
      group,
      outcome: c === 'success' ? 'success' : c.outcome,
      decision,
      latencyMs,
    };
    if (c !== 'success') {
      if (c.status !== undefined) report.status = c.status;
      if (c.retryAfterMs !== undefined) report.retryAfterMs = c.retryAfterMs;
      if (error !== undefined) report.error = error;
    }
    request.attempts.push(report);
    if (this.#events.has('attempt')) {
      this.#events.emit('attempt', { requestId: request.requestId, model: request.model, attempt: report });
    }
  }

  /** Waits for a slot of a saturated provider: until a call ends there, the deadline, or a recheck. */
  async #waitForSlot(slots: SlotQueue, request: ExecuteRequest): Promise<void> {
    const ms = Math.min(SLOT_RECHECK_MS, request.scope.remaining() - this.#policy.minAttemptMs);
    try {
      await slots.wait(ms, request.scope);
    } catch {
      throw this.#throwIfAborted(request) ?? new AbortError(request.attempts);
    }
  }

  async #wait(ms: number, request: ExecuteRequest): Promise<void> {
    try {
      await sleep(ms, request.scope);
    } catch {
      throw this.#throwIfAborted(request) ?? new AbortError(request.attempts);
    }
  }

  /** Throws (and returns, for `throw x ?? y`) the error of an aborted request, or of a closed client. */
  #throwIfAborted(request: ExecuteRequest): Error | undefined {
    const { scope } = request;
    if (scope.cause === 'closed' || (scope.closing && !scope.aborted)) throw new ClientClosedError();
    if (!scope.aborted) return undefined;
    if (scope.cause === 'deadline') throw this.#deadline(request);
    throw new AbortError(request.attempts, scope.reason);
  }

  #deadline(request: ExecuteRequest): DeadlineExceededError {
    return new DeadlineExceededError(request.scope.deadlineMs, request.scope.elapsed(), request.attempts);
  }

  #exhausted(request: ExecuteRequest, plan: Plan): Error {
    if (plan.deferredCount > 0 && request.attempts.length === 0) {
      return new AllAttemptsFailedError(
        request.model,
        request.attempts,
        'every deployment is cooling down or its breaker is open, and none is due back within the deadline',
      );
    }
    return new AllAttemptsFailedError(request.model, request.attempts);
  }
}

function isOpenBreaker(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'EOPENBREAKER';
}

/**
 * The candidates of one request, in order: each group's deployments as its strategy orders them,
 * group after group. Deployments that cannot take a call now are set aside ("deferred") with the
 * time they are due back; ones that failed are not tried again in this request.
 */
class Plan {
  readonly #runtime: Runtime;
  readonly #request: ExecuteRequest;
  #groups: string[];
  #groupIndex = -1;
  #queue: readonly GroupMember[] = [];
  #position = 0;
  /** Deployments that failed in this request (made on the first failure: most requests have none). */
  #failed: Set<string> | undefined;
  #deferred: GroupMember[] = [];
  #contextSwitched = false;

  constructor(runtime: Runtime, request: ExecuteRequest) {
    this.#runtime = runtime;
    this.#request = request;
    this.#groups = [request.model, ...request.fallbacks];
    for (const name of this.#groups) {
      if (!runtime.groups.has(name)) throw new UnknownModelError(name, [...runtime.groups.keys()]);
    }
  }

  get deferredCount(): number {
    return this.#deferred.length;
  }

  next(now: number): GroupMember | undefined {
    for (;;) {
      while (this.#position < this.#queue.length) {
        const member = this.#queue[this.#position++]!;
        const id = member.runtime.id;
        if (this.#hasFailed(id) || this.#isDeferred(id)) continue;
        if (!member.runtime.usable(now)) {
          this.#deferred.push(member);
          continue;
        }
        return member;
      }
      if (++this.#groupIndex >= this.#groups.length) return undefined;
      const group = this.#runtime.groups.get(this.#groups[this.#groupIndex]!)!;
      this.#queue = group.strategy.order(group.members, this.#request);
      this.#position = 0;
    }
  }

  defer(member: GroupMember): void {
    if (!this.#isDeferred(member.runtime.id)) this.#deferred.push(member);
  }

  fail(deploymentId: string): void {
    if (!this.#failed) this.#failed = new Set();
    this.#failed.add(deploymentId);
  }

  /**
   * The time the deferred candidate due back first is usable, if any; `slot` when that candidate
   * waits only for a free slot of its provider (a release, not a time, lets it through).
   */
  earliestDeferred(now: number): { at: number; slot: SlotQueue | undefined } | undefined {
    let at = Number.POSITIVE_INFINITY;
    let first: GroupMember | undefined;
    for (const member of this.#deferred) {
      if (this.#hasFailed(member.runtime.id)) continue;
      const due = member.runtime.availableAt(now);
      if (due < at) {
        at = due;
        first = member;
      }
    }
    if (!first) return undefined;
    const slot = first.runtime.waitsForSlot(now) ? first.runtime.provider.slots : undefined;
    return { at: Math.max(at, now), slot };
  }

  /** Puts the deferred candidates back in the queue, earliest due first. */
  retryDeferred(): void {
    const now = Date.now();
    const queue = this.#deferred.filter((m) => !this.#hasFailed(m.runtime.id));
    queue.sort((a, b) => a.runtime.availableAt(now) - b.runtime.availableAt(now));
    this.#deferred = [];
    this.#queue = queue;
    this.#position = 0;
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

  #hasFailed(id: string): boolean {
    return this.#failed?.has(id) === true;
  }

  #isDeferred(id: string): boolean {
    for (const member of this.#deferred) if (member.runtime.id === id) return true;
    return false;
  }
}
