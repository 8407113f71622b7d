/**
 * Runs a request's plan: tries its candidates in order under one deadline, and after each failed
 * attempt applies what `policies/decide.ts` decided (wait, cool a key down, retry, fail over or
 * stop). With hedging on, a candidate that has not answered within the hedge delay is raced by the
 * next one; the first good answer wins and the others are cancelled. The attempt itself (JSON call
 * or stream) is passed in.
 *
 * Time: while another candidate could still take the call, one attempt may use at most half of
 * the time left (and never more than its timeout), so a hung deployment leaves room to fail over.
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
import type { AttemptTrace, RequestTrace } from '../telemetry/request-trace';
import type { AttemptDecision, AttemptReport, ResolvedHedge, ResolvedPolicy } from '../types';
import { AttemptFailure } from './failure';
import { Plan, type PlanRequest } from './plan';
import type { TokenEstimate } from './rate-gate';
import type { DeploymentRuntime, GroupMember, Runtime } from './runtime';
import { AttemptScope, type RequestScope, sleep, type Wakeable } from './scope';
import type { SlotQueue } from './slots';

/** Longest wait for a provider slot before the plan is looked at again (a release usually ends it first). */
const SLOT_RECHECK_MS = 1000;

/**
 * Checks, before any call and outside the breaker, that a deployment can take the request (its
 * protocol can express it); throws the typed error that ends the request when it cannot.
 */
export type Admit = (member: GroupMember) => void;

/** What a caller of `execute()` may add to the plan's run. */
export interface ExecuteHooks<T> {
  /** Checked for every candidate before its first attempt (hedges included). */
  readonly admit?: Admit;
  /** Releases the answer of an attempt that succeeded after another had already won (a stream's connection). */
  readonly discard?: (value: T) => void;
}

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
  /** Hedging for this call, if any. */
  readonly hedge: ResolvedHedge | undefined;
  readonly scope: RequestScope;
  readonly attempts: AttemptReport[];
  /** The call's estimated tokens, for token budgets (computed on first need). */
  readonly tokens: TokenEstimate;
  /** Observers of the request (spans, diagnostics channels), when someone observes it. */
  readonly trace: RequestTrace | undefined;
}

/** An attempt that lost a hedge race and was cancelled. */
export interface Loser<T> {
  readonly member: GroupMember;
  /** The key it was sent with. */
  readonly keyIndex: number;
  /** Its answer, when one came before it could be stopped (already released). */
  readonly value: T | undefined;
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
  /** Its entry in the request's attempts. */
  readonly report: AttemptReport;
  /** Attempts cancelled because this one answered first. */
  readonly losers: readonly Loser<T>[];
  /**
   * Its trace, ended by `execute()` once it is known to have won (an attempt that answered but
   * lost the race ends as cancelled, and its span is not the serving one).
   */
  readonly attemptTrace: AttemptTrace | undefined;
}

const NO_LOSERS: readonly Loser<never>[] = Object.freeze([]);
const CANCELLED = { outcome: 'aborted', status: undefined, retryAfterMs: undefined } as const;
const noDiscard = (): void => {};

/** One deployment being tried, with its retries. Several run at once only while a hedge races. */
class Lane implements Wakeable {
  readonly hedged: boolean;
  cancelled = false;
  /** Cancelled because an attempt started after its own answered first. */
  overtaken = false;
  /** The attempt in flight, if any, and when it started (clock time). */
  attempt: AttemptScope | undefined;
  attemptStartedAt = 0;
  /** The key its last attempt was sent with. */
  keyIndex = -1;
  /** The report of its last attempt. */
  last: AttemptReport | undefined;
  wake: (() => void) | undefined;
  constructor(hedged: boolean) {
    this.hedged = hedged;
  }
  cancel(winnerStartedAt: number): void {
    this.cancelled = true;
    this.overtaken = this.attempt !== undefined && this.attemptStartedAt < winnerStartedAt;
    this.attempt?.cancel();
    this.wake?.();
  }
}

interface Runner<T> {
  readonly member: GroupMember;
  readonly lane: Lane;
  readonly settled: Promise<Settled<T>>;
}

/** How a runner ended: served, failed the request, or (neither) moved on. */
interface Settled<T> {
  readonly runner: Runner<T>;
  readonly executed?: Executed<T>;
  readonly error?: unknown;
}

/** One call of `execute()`. */
interface Run<T> {
  readonly request: ExecuteRequest;
  readonly plan: Plan;
  readonly perform: Perform<T>;
  readonly runners: Runner<T>[];
}

export class Executor {
  readonly #runtime: Runtime;
  readonly #policy: ResolvedPolicy;
  readonly #events: Events;
  readonly #redact: Redactor;
  readonly #random: () => number;
  readonly #hedgeMinSamples: number;

  constructor(
    runtime: Runtime,
    policy: ResolvedPolicy,
    events: Events,
    redact: Redactor,
    random: () => number = Math.random,
    hedgeMinSamples = 20,
  ) {
    this.#runtime = runtime;
    this.#policy = policy;
    this.#events = events;
    this.#redact = redact;
    this.#random = random;
    this.#hedgeMinSamples = hedgeMinSamples;
  }

  /** Runs the plan until an attempt succeeds. */
  async execute<T>(
    request: ExecuteRequest,
    perform: Perform<T>,
    hooks: ExecuteHooks<T> = {},
  ): Promise<Executed<T>> {
    const { admit, discard = noDiscard } = hooks;
    const run: Run<T> = {
      request,
      plan: new Plan(this.#runtime, request, this.#random),
      perform,
      runners: [],
    };
    const { runners } = run;
    const clock = this.#runtime.clock;
    const hedge = request.hedge;
    let hedgesLeft = hedge?.maxHedges ?? 0;
    /** `performance.now()` at which the next hedge starts. */
    let hedgeAt = Number.POSITIVE_INFINITY;
    /** When the last wait for a deferred deployment ended, by its own reckoning (see `#wait`). */
    let waitedUntil = 0;
    for (;;) {
      if (runners.length === 0) {
        this.#throwIfAborted(request);
        const now = Math.max(clock.now(), waitedUntil);
        const candidate = run.plan.next(now);
        if (!candidate) {
          waitedUntil = await this.#waitForDeferred(run, now);
          continue;
        }
        admit?.(candidate);
        runners.push(this.#start(run, candidate, false, now));
        hedgeAt = hedgesLeft > 0 ? this.#hedgeAt(hedge!, candidate) : Number.POSITIVE_INFINITY;
      }
      const settled = await this.#nextSettled(runners, hedgeAt);
      if (settled === undefined) {
        // The hedge delay passed without an answer: race the next candidate, if it is usable and
        // healthy (a hedge on a deployment known to fail or crawl would only add load).
        hedgeAt = Number.POSITIVE_INFINITY;
        const now = Math.max(clock.now(), waitedUntil);
        const candidate =
          request.scope.remaining(now) >= this.#policy.minAttemptMs ? run.plan.next(now, true) : undefined;
        if (candidate) {
          hedgesLeft--;
          try {
            admit?.(candidate);
          } catch (error) {
            await this.#cancel(runners, discard, 0);
            throw error;
          }
          runners.push(this.#start(run, candidate, true, now));
          this.#announceHedge(request, candidate);
          if (hedgesLeft > 0) hedgeAt = this.#hedgeAt(hedge!, candidate);
        }
        continue;
      }
      runners.splice(runners.indexOf(settled.runner), 1);
      const executed = settled.executed;
      if (executed) {
        executed.attemptTrace?.end(executed.report);
        if (runners.length === 0) return executed;
        const winnerStartedAt = settled.runner.lane.attemptStartedAt;
        return { ...executed, losers: await this.#cancel(runners, discard, winnerStartedAt) };
      }
      if (settled.error !== undefined) {
        if (runners.length > 0) await this.#cancel(runners, discard, 0);
        throw settled.error;
      }
      // Moved on: another runner may still be in flight; otherwise the next candidate starts.
    }
  }

  /** Starts trying `member`, which the plan found usable at `chosenAt`. */
  #start<T>(run: Run<T>, member: GroupMember, hedged: boolean, chosenAt: number): Runner<T> {
    const lane = new Lane(hedged);
    const runner: { member: GroupMember; lane: Lane; settled?: Promise<Settled<T>> } = { member, lane };
    runner.settled = this.#tryDeployment(member, run, lane, chosenAt).then(
      (executed) => ({ runner: runner as Runner<T>, executed }),
      (error: unknown) => ({ runner: runner as Runner<T>, error: error ?? new Error('attempt failed') }),
    );
    return runner as Runner<T>;
  }

  /** The first runner to settle, or undefined when `hedgeAt` comes first. */
  async #nextSettled<T>(runners: readonly Runner<T>[], hedgeAt: number): Promise<Settled<T> | undefined> {
    if (runners.length === 1 && hedgeAt === Number.POSITIVE_INFINITY) return runners[0]!.settled;
    let timer: NodeJS.Timeout | undefined;
    const races: Promise<Settled<T> | undefined>[] = runners.map((r) => r.settled);
    if (hedgeAt !== Number.POSITIVE_INFINITY) {
      races.push(
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, hedgeAt - performance.now()), undefined);
        }),
      );
    }
    try {
      return await Promise.race(races);
    } finally {
      clearTimeout(timer);
    }
  }

  /** When to hedge an attempt on `member` that starts now: after its latency percentile, or `afterMs`. */
  #hedgeAt(hedge: ResolvedHedge, member: GroupMember): number {
    let delay: number | undefined;
    if (hedge.percentile !== undefined) {
      delay = member.runtime.health.latencyPercentile(hedge.percentile, this.#hedgeMinSamples);
    }
    delay ??= hedge.afterMs;
    return delay === undefined ? Number.POSITIVE_INFINITY : performance.now() + delay;
  }

  /**
   * Cancels the runners still in flight, waits for them to stop, and says what they were doing.
   * An attempt started before the winner's (`winnerStartedAt`) was overtaken: health hears of it.
   */
  async #cancel<T>(
    runners: Runner<T>[],
    discard: (value: T) => void,
    winnerStartedAt: number,
  ): Promise<Loser<T>[]> {
    for (const runner of runners) runner.lane.cancel(winnerStartedAt);
    const losers: Loser<T>[] = [];
    for (const runner of runners) {
      const settled = await runner.settled;
      const executed = settled.executed;
      if (executed) {
        // It answered too, before it could be stopped: release the answer, count what it cost.
        executed.report.decision = 'cancelled';
        executed.attemptTrace?.end(executed.report);
        executed.attempt.dispose();
        discard(executed.value);
        losers.push({ member: runner.member, keyIndex: executed.keyIndex, value: executed.value });
      } else if (runner.lane.last?.decision === 'cancelled') {
        losers.push({ member: runner.member, keyIndex: runner.lane.keyIndex, value: undefined });
      }
    }
    runners.length = 0;
    return losers;
  }

  /**
   * No candidate can take the call now (cooling down, breaker open, out of rate-limit budget):
   * waits for the first one due back when it is due within `policy.maxWaitMs` and the deadline;
   * otherwise fails at once, saying when it is due: a `RateLimitedError` (429) when every one of
   * them is out of budget, an `AllAttemptsFailedError` (503) otherwise. Returns the time it waited
   * until, from which that deployment counts as due (see `#wait`).
   */
  async #waitForDeferred<T>(run: Run<T>, now: number): Promise<number> {
    const { request, plan } = run;
    // Out of time rather than out of candidates.
    if (request.scope.remaining(now) < this.#policy.minAttemptMs) throw this.#deadline(request);
    const due = plan.earliestDeferred(now);
    const limit = Math.min(this.#policy.maxWaitMs, request.scope.remaining(now) - this.#policy.minAttemptMs);
    if (!due) throw this.#exhausted(request, plan, undefined);
    const waitMs = due.at - now;
    if (waitMs > limit) {
      if (plan.allRateLimited(now)) throw new RateLimitedError(request.model, waitMs, request.attempts);
      throw this.#exhausted(request, plan, waitMs);
    }
    if (due.slot) {
      // Waiting only for a free slot of a saturated provider: a call ending there wakes it.
      await this.#waitForSlot(due.slot, request);
      plan.retryDeferred(this.#runtime.clock.now());
      return now;
    }
    if (waitMs > 0) await this.#wait(waitMs, request);
    plan.retryDeferred(Math.max(this.#runtime.clock.now(), due.at));
    return due.at;
  }

  /**
   * Attempts on one deployment, with retries; undefined means move on. `chosenAt` is the time the
   * plan found it usable at.
   */
  async #tryDeployment<T>(
    member: GroupMember,
    run: Run<T>,
    lane: Lane,
    chosenAt: number,
  ): Promise<Executed<T> | undefined> {
    const { group } = member;
    const deployment = member.runtime;
    const provider = deployment.provider;
    const { request, plan } = run;
    const { scope } = request;
    const clock = this.#runtime.clock;
    /** Cooldowns that had ended by then have ended now, whatever the clock reads (see `#wait`). */
    let waitedUntil = chosenAt;
    for (let retry = plan.spent(deployment.id); ; ) {
      if (lane.cancelled) return undefined;
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
      // Half of what is left while another candidate could take the call (unless half is too little
      // for any attempt: then neither half would do, and this one gets it all).
      const half = remaining / 2;
      const alternative =
        half >= this.#policy.minAttemptMs &&
        (run.runners.length > 1 || plan.hasUsableOther(deployment.id, started));
      const timeoutMs = Math.min(
        request.timeoutMs ?? provider.config.timeoutMs,
        alternative ? half : remaining,
      );
      const attempt = new AttemptScope(scope);
      lane.attempt = attempt;
      lane.attemptStartedAt = started;
      lane.keyIndex = keyIndex;
      const traced = request.trace?.attempt(member);
      deployment.inFlight++;
      provider.inFlight++;
      let failure: Classification;
      try {
        const { perform } = run;
        const value = await (traced
          ? traced.run(() => perform(member, keyIndex, attempt, timeoutMs))
          : perform(member, keyIndex, attempt, timeoutMs));
        const now = clock.now();
        const latencyMs = now - started;
        deployment.recordSuccess(ticket, latencyMs, now);
        member.canary?.record(true, latencyMs, now);
        this.#runtime.rateGate.learn(deployment, keyIndex, attempt.responseHeaders, now);
        const report = this.#report(request, member, lane, 'success', 'done', latencyMs, undefined);
        return {
          value,
          member,
          group,
          attempt,
          latencyMs,
          keyIndex,
          report,
          losers: NO_LOSERS,
          attemptTrace: traced,
        };
      } catch (error) {
        attempt.dispose();
        if (attempt.cancelled) {
          // Sent, so its rate-limit budget stays spent; the canary's rules judge finished calls only.
          const now = clock.now();
          const latencyMs = now - started;
          deployment.recordCancelled(ticket, lane.overtaken, latencyMs, now);
          this.#runtime.rateGate.learn(deployment, keyIndex, attempt.responseHeaders, now);
          const report = this.#report(request, member, lane, CANCELLED, 'cancelled', latencyMs, undefined);
          traced?.end(report);
          return undefined;
        }
        if (!(error instanceof AttemptFailure)) {
          deployment.breaker.record(ticket, 'aborted');
          throw error;
        }
        failure = error.classification;
      } finally {
        lane.attempt = undefined;
        deployment.inFlight--;
        provider.release();
      }

      const now = clock.now();
      const latencyMs = now - started;
      if (failure.outcome === 'aborted') {
        deployment.breaker.record(ticket, failure.outcome, now);
        const report = this.#report(request, member, lane, failure, 'stop', latencyMs, failure.message);
        traced?.end(report);
        throw this.#throwIfAborted(request) ?? new AbortError(request.attempts);
      }
      this.#settleFailed(deployment, keyIndex, request, attempt.responseHeaders, now);
      if (countsForBreaker(failure.outcome)) member.canary?.record(false, latencyMs, now);
      const message = this.#redact(failure.message);
      deployment.recordFailure(ticket, failure.outcome, latencyMs, message, now);
      const decision = decide(
        {
          failure,
          retry,
          retries: request.retries,
          budgetMs: scope.remaining(now) - this.#policy.minAttemptMs,
          otherKeyUsable: provider.keys.usableOtherThan(keyIndex, now),
          contextFallback: plan.hasContextFallback(group),
          alternative: run.runners.length > 1 || plan.hasUsableOther(deployment.id, now),
        },
        this.#policy,
        this.#random,
      );
      this.#apply(decision, member, keyIndex, retry, plan, message, now);
      const report = this.#report(request, member, lane, failure, decision.action, latencyMs, message);
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
            await this.#wait(decision.waitMs, request, lane);
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
    retry: number,
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
      case 'last':
        plan.putLast(member, retry + 1);
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

  #announceHedge(request: ExecuteRequest, member: GroupMember): void {
    if (!this.#events.has('hedge')) return;
    this.#events.emit('hedge', {
      requestId: request.requestId,
      model: request.model,
      deployment: member.runtime.id,
      afterMs: Math.round(request.scope.elapsed()),
    });
  }

  #report(
    request: ExecuteRequest,
    member: GroupMember,
    lane: Lane,
    c: Pick<Classification, 'outcome' | 'status' | 'retryAfterMs'> | 'success',
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
    if (lane.hedged) report.hedged = true;
    lane.last = report;
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
   * Waits `ms` on a real timer (a hedge's lane that lost its race ends it early). A timer can fire
   * a millisecond or so before the clock reads its end (Node keeps timer times in whole
   * milliseconds of a coarser clock), and an injected clock need not move with timers at all. So
   * the caller takes what the wait was for (a cooldown, a deferred deployment's return, both set
   * from the clock reading the wait started from) as due once it ends, reading the time as at least
   * that reading plus `ms`: a retry decided because its wait covers the cooldown is not turned into
   * a failover by the clock lagging the timer. Durations and the breaker still read the clock itself.
   */
  async #wait(ms: number, request: ExecuteRequest, lane?: Lane): Promise<void> {
    try {
      await sleep(ms, request.scope, lane);
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

  #exhausted(request: ExecuteRequest, plan: Plan, retryAfterMs: number | undefined): Error {
    if (plan.deferredCount > 0 && request.attempts.length === 0) {
      return new AllAttemptsFailedError(
        request.model,
        request.attempts,
        'every deployment is cooling down, out of its rate-limit budget or behind an open breaker, and none is due back in time',
        retryAfterMs,
      );
    }
    return new AllAttemptsFailedError(request.model, request.attempts, undefined, retryAfterMs);
  }
}
