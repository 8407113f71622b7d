/**
 * A canary: a share of a group's calls goes to a candidate deployment first, and the canary rolls
 * itself back (to 0 %) when its calls go bad: an error rate or a p99 latency above a threshold,
 * over a window that holds at least a minimum number of calls.
 *
 * Which calls go to the canary: with an affinity key, a hash of the key and the group, so one user
 * stays on one side (and raising the percentage only adds users); without, a random draw.
 */
import { fmix32, fnv1a32 } from './consistent-hash';

/** When a canary rolls itself back. */
export interface CanaryRollbackRules {
  /** Share of failed calls (0..1) above which it rolls back. */
  readonly errorRate: number;
  /** p99 latency (ms) above which it rolls back. */
  readonly p99Ms: number;
  /** Length of the sliding window the rules look at. */
  readonly windowMs: number;
  /** Calls the window must hold before a rule may fire. */
  readonly minCalls: number;
}

export type CanaryState = 'active' | 'rolled-back' | 'promoted';

/** Why a canary's share changed. */
export type CanaryReason = 'error_rate' | 'latency' | 'manual';

/** A canary's share changed. */
export interface CanaryChange {
  /** The model group. */
  model: string;
  /** The canary deployment (`provider/model`). */
  deployment: string;
  action: 'rollback' | 'promote' | 'percent';
  percent: number;
  previousPercent: number;
  /** True when a rollback rule fired; false for a change made by a method call. */
  automatic: boolean;
  reason: CanaryReason;
  /** What the window held when it changed. */
  calls: number;
  errorRate: number | null;
  p99Ms: number | null;
}

/** A canary as health reports show it. */
export interface CanaryStatus {
  deployment: string;
  percent: number;
  state: CanaryState;
  /** Calls, error rate and p99 over the rollback window (null without calls). */
  calls: number;
  errorRate: number | null;
  p99Ms: number | null;
  /** The last change (with what the window held then) and when it happened (ISO). */
  lastChange: (CanaryChange & { at: string }) | null;
}

const BUCKETS = 10;
/** Latencies kept for the p99 shown in reports (the rule itself needs no samples). */
const SAMPLES = 512;
const TWO_POW_32 = 4294967296;

/** Decides, per call, whether a canary goes first, and watches its calls. */
export class CanaryController {
  readonly group: string;
  readonly deployment: string;
  readonly #rules: CanaryRollbackRules | undefined;
  readonly #onChange: (change: CanaryChange) => void;
  readonly #seed: number;
  #percent: number;
  #state: CanaryState;
  #lastChange: CanaryStatus['lastChange'] = null;
  // The window: per bucket, calls, failures and calls slower than the p99 limit.
  readonly #bucketOf = new Float64Array(BUCKETS).fill(-1);
  readonly #calls = new Float64Array(BUCKETS);
  readonly #errors = new Float64Array(BUCKETS);
  readonly #slow = new Float64Array(BUCKETS);
  readonly #latencies = new Float64Array(SAMPLES);
  readonly #latencyAt = new Float64Array(SAMPLES);
  #nextSample = 0;

  constructor(
    group: string,
    deployment: string,
    percent: number,
    rules: CanaryRollbackRules | undefined,
    onChange: (change: CanaryChange) => void,
  ) {
    this.group = group;
    this.deployment = deployment;
    this.#percent = percent;
    this.#state = percent > 0 ? 'active' : 'rolled-back';
    this.#rules = rules;
    this.#onChange = onChange;
    this.#seed = fnv1a32(group);
  }

  get percent(): number {
    return this.#percent;
  }

  get state(): CanaryState {
    return this.#state;
  }

  /** Whether this call tries the canary first. */
  picks(affinityKey: string | undefined, random: () => number): boolean {
    const percent = this.#percent;
    if (percent <= 0) return false;
    if (percent >= 100) return true;
    const draw =
      affinityKey !== undefined && affinityKey !== ''
        ? fmix32(fnv1a32(affinityKey, this.#seed)) / TWO_POW_32
        : random();
    return draw * 100 < percent;
  }

  /** Records one call on the canary; rolls it back when a rule fires. */
  record(ok: boolean, latencyMs: number, now: number = Date.now()): void {
    const rules = this.#rules;
    const bucketMs = (rules?.windowMs ?? 60_000) / BUCKETS;
    const bucket = Math.floor(now / bucketMs);
    const slot = bucket % BUCKETS;
    if (this.#bucketOf[slot] !== bucket) {
      this.#bucketOf[slot] = bucket;
      this.#calls[slot] = 0;
      this.#errors[slot] = 0;
      this.#slow[slot] = 0;
    }
    this.#calls[slot]!++;
    if (!ok) this.#errors[slot]!++;
    if (rules && latencyMs > rules.p99Ms) this.#slow[slot]!++;
    this.#latencies[this.#nextSample] = latencyMs;
    this.#latencyAt[this.#nextSample] = now;
    this.#nextSample = (this.#nextSample + 1) % SAMPLES;
    if (rules && this.#state === 'active') this.#check(rules, now);
  }

  /** Sets the share (0..100). A canary rolled back or promoted is active again above 0. */
  setPercent(percent: number, now: number = Date.now()): void {
    this.#change('percent', percent, 'manual', false, now);
  }

  /** Sends every call to the canary first; the rollback rules no longer apply. */
  promote(now: number = Date.now()): void {
    this.#change('promote', 100, 'manual', false, now);
  }

  /** Sends no call to the canary. */
  rollback(now: number = Date.now()): void {
    this.#change('rollback', 0, 'manual', false, now);
  }

  status(now: number = Date.now()): CanaryStatus {
    const { calls, errors } = this.#totals(now);
    return {
      deployment: this.deployment,
      percent: this.#percent,
      state: this.#state,
      calls,
      errorRate: calls > 0 ? round(errors / calls) : null,
      p99Ms: this.#p99(now),
      lastChange: this.#lastChange,
    };
  }

  #check(rules: CanaryRollbackRules, now: number): void {
    const { calls, errors, slow } = this.#totals(now);
    if (calls < rules.minCalls) return;
    // Nearest-rank p99 exceeds the limit exactly when at least this many calls do.
    const slowAllowed = calls - Math.ceil(0.99 * calls);
    const reason: CanaryReason | undefined =
      errors / calls > rules.errorRate ? 'error_rate' : slow > slowAllowed ? 'latency' : undefined;
    if (reason) this.#change('rollback', 0, reason, true, now);
  }

  #change(
    action: CanaryChange['action'],
    percent: number,
    reason: CanaryReason,
    automatic: boolean,
    now: number,
  ): void {
    const previousPercent = this.#percent;
    this.#percent = percent;
    this.#state = action === 'promote' ? 'promoted' : percent > 0 ? 'active' : 'rolled-back';
    const { calls, errors } = this.#totals(now);
    const change: CanaryChange = {
      model: this.group,
      deployment: this.deployment,
      action,
      percent,
      previousPercent,
      automatic,
      reason,
      calls,
      errorRate: calls > 0 ? round(errors / calls) : null,
      p99Ms: this.#p99(now),
    };
    this.#lastChange = { ...change, at: new Date(now).toISOString() };
    // A fresh start: the calls that led to a rollback must not trip the rules again at once.
    if (action !== 'promote') {
      this.#bucketOf.fill(-1);
      this.#latencyAt.fill(0);
    }
    this.#onChange(change);
  }

  #totals(now: number): { calls: number; errors: number; slow: number } {
    const bucketMs = (this.#rules?.windowMs ?? 60_000) / BUCKETS;
    const current = Math.floor(now / bucketMs);
    let calls = 0;
    let errors = 0;
    let slow = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const bucket = this.#bucketOf[i]!;
      if (bucket > current - BUCKETS && bucket <= current) {
        calls += this.#calls[i]!;
        errors += this.#errors[i]!;
        slow += this.#slow[i]!;
      }
    }
    return { calls, errors, slow };
  }

  /** Nearest-rank p99 of the latencies kept that fall in the window. */
  #p99(now: number): number | null {
    const since = now - (this.#rules?.windowMs ?? 60_000);
    const recent: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const at = this.#latencyAt[i]!;
      if (at > 0 && at > since && at <= now) recent.push(this.#latencies[i]!);
    }
    if (recent.length === 0) return null;
    recent.sort((a, b) => a - b);
    return recent[Math.ceil(0.99 * recent.length) - 1]!;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
