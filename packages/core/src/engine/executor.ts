/**
 * Runs a request's plan: tries its candidates in order under one deadline, and after each failed
 * attempt applies what `policies/decide.ts` decided (wait, cool a key down, retry, fail over or
 * stop). The attempt itself (JSON call or stream) is passed in.
 */
import {
  AbortError,
  AllAttemptsFailedError,
  ClientClosedError,
  DeadlineExceededError,
  RateLimitedError,
  UpstreamError,
} from '../errors';
import type { Events } from '../events';
import { countsForBreaker, REFUSED } from '../policies/breaker';
import type { Classification } from '../policies/classify';
import { type Decision, decide } from '../policies/decide';
import type { Redactor } from '../redact';
import type { RequestTrace } from '../telemetry/request-trace';
import type { AttemptDecision, AttemptReport, ResolvedPolicy } from '../types';
import { AttemptFailure } from './failure';
import { Plan, type PlanRequest } from './plan';
import type { TokenEstimate } from './rate-gate';
import type { DeploymentRuntime, GroupMember, Runtime } from './runtime';
import { AttemptScope, type RequestScope, sleep } from './scope';
import type { SlotQueue } from './slots';

/** Longest wait for a provider slot before the plan is looked at again (a release usually ends it first). */
const SLOT_RECHECK_MS = 1000;

/**
 * Checks, before any call and outside the breaker, that a deployment can take the request (its
 * protocol can express it); throws the typed error that ends the request when it cannot.
 */
export type Admit = (member: GroupMember) => void;

/** Runs one attempt on a deployment. It must arm the attempt's clock itself. */
export type Perform<T> = (
  member: GroupMember,
  keyIndex: number,
  attempt: AttemptScope,
  timeoutMs: number,
) => Promise<T>;

export interface ExecuteRequest extends PlanRequest {
  readonly requestId: string;
  readonly retries: number;
  readonly timeoutMs: number | undefined;
  readonly scope: RequestScope;
  readonly attempts: AttemptReport[];
  /** The call's estimated tokens, for token budgets (computed on first need). */
  readonly tokens: TokenEstimate;
  /** Observers of the request (spans, diagnostics channels), when someone observes it. */
  readonly trace: RequestTrace | undefined;
}

export interface Executed<T> {
  readonly value: T;
  readonly member: GroupMember;
  readonly group: string;
  /** The attempt that succeeded; the caller disposes it (a stream keeps it open until it ends). */
  readonly attempt: AttemptScope;
  readonly latencyMs: number;
  /** The key it was sent with (for the rate-limit correction once usage is known). */
  readonly keyIndex: number;
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
    random: () => number = Math.random,
  ) {
    this.#runtime = runtime;
    this.#policy = policy;
    this.#events = events;
    this.#redact = redact;
    this.#random = random;
  }

  async execute<T>(request: ExecuteRequest, perform: Perform<T>, admit?: Admit): Promise<Executed<T>> {
    const { scope } = request;
    const clock = this.#runtime.clock;
    const plan = new Plan(this.#runtime, request, this.#random);
    /** When the last wait for a deferred deployment ended, by its own reckoning (see `#wait`). */
    let waitedUntil = 0;
    for (;;) {
      this.#throwIfAborted(request);
      const now = Math.max(clock.now(), waitedUntil);
      const candidate = plan.next(now);
      if (!candidate) {
        const due = plan.earliestDeferred(now);
        const rateLimited = plan.allRateLimited(now);
        if (
          !due ||
          due.at - now > scope.remaining(now) - this.#policy.minAttemptMs ||
          (rateLimited && due.at - now > this.#policy.maxWaitMs)
        ) {
          if (rateLimited && due) throw new RateLimitedError(request.model, due.at - now, request.attempts);
          throw this.#exhausted(request, plan);
        }
        if (due.slot) {
          await this.#waitForSlot(due.slot, request);
        } else {
          await this.#wait(due.at - now, request);
          waitedUntil = due.at;
        }
        plan.retryDeferred(Math.max(clock.now(), waitedUntil));
        continue;
      }
      admit?.(candidate);
      const result = await this.#tryDeployment(candidate, request, plan, perform, now);
      if (result) return result;
    }
  }

  /**
   * Attempts on one deployment, with retries; undefined means move on. `chosenAt` is the time the
   * plan found it usable at.
   */
  async #tryDeployment<T>(
    member: GroupMember,
    request: ExecuteRequest,
    plan: Plan,
    perform: Perform<T>,
    chosenAt: number,
  ): Promise<Executed<T> | undefined> {
    const { group } = member;
    const deployment = member.runtime;
    const provider = deployment.provider;
    const { scope } = request;
    const clock = this.#runtime.clock;
    /** Cooldowns that had ended by then have ended now, whatever the clock reads (see `#wait`). */
    let waitedUntil = chosenAt;
    for (let retry = 0; ; ) {
      this.#throwIfAborted(request);
      const started = clock.now();
      const due = Math.max(started, waitedUntil);
      const remaining = scope.remaining(started);
      if (remaining < this.#policy.minAttemptMs) throw this.#deadline(request);
      let keyIndex = provider.keys.pick(due);
      if (keyIndex >= 0 && deployment.usable(due) && this.#runtime.rateGate.limits(deployment)) {
        keyIndex = await this.#takeBudget(deployment, keyIndex, request);
      }
      const ticket = keyIndex < 0 || !deployment.usable(due) ? REFUSED : deployment.breaker.begin(started);
      if (ticket === REFUSED) {
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
      const traced = request.trace?.attempt(member);
      deployment.inFlight++;
      provider.inFlight++;
      let failure: Classification;
      try {
        const value = await (traced
          ? traced.run(() => perform(member, keyIndex, attempt, timeoutMs))
          : perform(member, keyIndex, attempt, timeoutMs));
        const now = clock.now();
        const latencyMs = now - started;
        deployment.breaker.record(ticket, 'success');
        deployment.health.recordSuccess(latencyMs);
        member.canary?.record(true, latencyMs, now);
        this.#runtime.rateGate.learn(deployment, keyIndex, attempt.responseHeaders, now);
        const report = this.#report(request, member, 'success', 'done', latencyMs, undefined);
        traced?.end(report);
        return { value, member, group, attempt, latencyMs, keyIndex };
      } catch (error) {
        attempt.dispose();
        if (!(error instanceof AttemptFailure)) {
          deployment.breaker.record(ticket, 'aborted');
          throw error;
        }
        failure = error.classification;
      } finally {
        deployment.inFlight--;
        provider.release();
      }

      const now = clock.now();
      const latencyMs = now - started;
      if (failure.outcome === 'aborted') {
        deployment.breaker.record(ticket, failure.outcome, now);
        const report = this.#report(request, member, failure, 'stop', latencyMs, failure.message);
        traced?.end(report);
        throw this.#throwIfAborted(request) ?? new AbortError(request.attempts);
      }
      this.#settleFailed(deployment, keyIndex, request, attempt.responseHeaders, now);
      if (countsForBreaker(failure.outcome)) member.canary?.record(false, latencyMs, now);
      const message = this.#redact(failure.message);
      deployment.health.recordFailure(failure.outcome, latencyMs, message);
      deployment.breaker.record(ticket, failure.outcome, now);
      const decision = decide(
        {
          failure,
          retry,
          retries: request.retries,
          budgetMs: scope.remaining(now) - this.#policy.minAttemptMs,
          otherKeyUsable: provider.keys.usableOtherThan(keyIndex, now),
          contextFallback: plan.hasContextFallback(group),
        },
        this.#policy,
        this.#random,
      );
      this.#apply(decision, member, keyIndex, plan, message, now);
      const report = this.#report(request, member, failure, decision.action, latencyMs, message);
      traced?.end(report);
      switch (decision.action) {
        case 'stop':
          throw new UpstreamError({
            status: failure.status,
            providerMessage: message,
            providerCode: failure.providerCode,
            retryable: false,
            deployment: deployment.id,
            attempts: request.attempts,
          });
        case 'retry':
          retry++;
          if (decision.waitMs > 0) {
            // The key's cooldown was set from the same reading, `now`: it ends as the wait does.
            await this.#wait(decision.waitMs, request);
            waitedUntil = now + decision.waitMs;
          }
          continue;
        case 'failover':
          this.#announceFailover(request, deployment.id, failure.outcome, failure.status);
          return undefined;
      }
    }
  }

  /**
   * Takes the call's rate-limit budget on `deployment`, with `keyIndex` or, when that key is out
   * of its own budget, another key of the provider. Returns the key to send with, or -1 when none
   * has budget (the deployment is then out until the earliest time one has room).
   */
  async #takeBudget(
    deployment: DeploymentRuntime,
    keyIndex: number,
    request: ExecuteRequest,
  ): Promise<number> {
    const gate = this.#runtime.rateGate;
    const clock = this.#runtime.clock;
    const keys = deployment.provider.keys;
    const tried = Math.max(1, keys.size);
    let retryAt = Number.POSITIVE_INFINITY;
    let key = keyIndex;
    for (let i = 0; i < tried && key >= 0; i++) {
      const now = clock.now();
      const pending = gate.admit(deployment, key, request.tokens, now);
      const decision = pending instanceof Promise ? await pending : pending;
      if (decision.allowed) return key;
      retryAt = Math.min(retryAt, decision.retryAt);
      // Only a key's own budget (or its learned quota) can be escaped by another key.
      if (decision.scope !== 'headers' && !decision.scope?.startsWith('key:')) break;
      key = keys.pick(now);
      if (key === keyIndex) break;
    }
    deployment.rateLimitedUntil = retryAt;
    return -1;
  }

  /** After a failed attempt: what its answer's headers said of the quota; its tokens given back. */
  #settleFailed(
    deployment: DeploymentRuntime,
    keyIndex: number,
    request: ExecuteRequest,
    headers: AttemptScope['responseHeaders'],
    now: number,
  ): void {
    const gate = this.#runtime.rateGate;
    gate.learn(deployment, keyIndex, headers, now);
    if (request.tokens.counted && gate.limits(deployment)) {
      gate.settle(deployment, keyIndex, request.tokens.tokens, undefined, now);
    }
  }

  /** Applies a decision's cooldown and plan change. */
  #apply(
    decision: Decision,
    member: GroupMember,
    keyIndex: number,
    plan: Plan,
    message: string,
    now: number,
  ): void {
    const { cooldown } = decision;
    if (cooldown) {
      const detail = cooldown.reason === 'auth' ? message : undefined;
      this.#runtime.coolDown(member.runtime, keyIndex, now + cooldown.ms, cooldown.reason, detail);
    }
    switch (decision.plan) {
      case 'defer':
        plan.defer(member);
        break;
      case 'drop':
        plan.drop(member.runtime.id);
        break;
      case 'context-fallback':
        plan.switchToContextFallback(member.group);
        break;
      case 'keep':
        break;
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
    c: Classification | 'success',
    decision: AttemptDecision,
    latencyMs: number,
    error: string | undefined,
  ): AttemptReport {
    const report: AttemptReport = {
      deployment: member.runtime.id,
      provider: member.runtime.provider.config.id,
      group: member.group,
      outcome: c === 'success' ? 'success' : c.outcome,
      decision,
      latencyMs,
    };
    if (member.deployment.region !== undefined) report.region = member.deployment.region;
    if (member.canary) report.canary = true;
    if (c !== 'success') {
      if (c.status !== undefined) report.status = c.status;
      if (c.retryAfterMs !== undefined) report.retryAfterMs = c.retryAfterMs;
      if (error !== undefined) report.error = error;
    }
    request.attempts.push(report);
    if (this.#events.has('attempt')) {
      this.#events.emit('attempt', { requestId: request.requestId, model: request.model, attempt: report });
    }
    return report;
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

  /**
   * Waits `ms` on a real timer. A timer can fire a millisecond or so before the clock reads its end
   * (Node keeps timer times in whole milliseconds of a coarser clock), and an injected clock need
   * not move with timers at all. So the caller takes what the wait was for (a cooldown, a deferred
   * deployment's return, both set from the clock reading the wait started from) as due once it
   * ends, reading the time as at least that reading plus `ms`: a retry decided because its wait
   * covers the cooldown is not turned into a failover by the clock lagging the timer. Durations
   * and the breaker still read the clock itself.
   */
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
