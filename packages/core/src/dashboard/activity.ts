/**
 * What the dashboard shows besides the client's own reports: the last failovers, breaker and
 * health changes, request counters and the request rate. Filled from the client's events.
 */
import type { UsageReport } from '../cost';
import type { ShadowComparison } from '../engine/shadow';
import type { HealthReport } from '../health/report';
import type { AttemptOutcome, BreakerState, HealthStatus } from '../types';

/** Failovers and state changes kept for a page that connects later. */
export const DASHBOARD_HISTORY_SIZE = 50;

/** One failover: a request left `from` for the next deployment of its plan. */
export interface DashboardFailover {
  /** ISO time. */
  at: string;
  requestId: string;
  /** Model group the request asked for. */
  model: string;
  /** Deployment left behind (`provider/model`). */
  from: string;
  reason: AttemptOutcome;
  /** Upstream HTTP status, when there was one. */
  status: number | null;
}

/** A deployment's breaker changed state. */
export interface DashboardBreakerChange {
  kind: 'breaker';
  at: string;
  deployment: string;
  state: BreakerState;
}

/** A deployment's passive health status changed. */
export interface DashboardHealthChange {
  kind: 'health';
  at: string;
  deployment: string;
  status: HealthStatus;
  previous: HealthStatus;
}

/** A breaker or health change. */
export type DashboardChange = DashboardBreakerChange | DashboardHealthChange;

/** Request counters since the dashboard was created. */
export interface DashboardCounters {
  /** ISO time the counting started. */
  since: string;
  /** Requests finished (successes and errors). */
  requests: number;
  successes: number;
  errors: number;
  failovers: number;
  /** Finished requests per second over the last few seconds. */
  requestsPerSecond: number;
}

/** A group's calls and their shadows, compared since the dashboard was created. */
export interface DashboardShadowSummary {
  /** The model group. */
  model: string;
  /** The shadow deployment. */
  deployment: string;
  compared: number;
  /** Share of calls that succeeded (0..1), the primary's and the shadow's. */
  primarySuccessRate: number;
  shadowSuccessRate: number;
  /** Mean latency (ms) of each side. */
  primaryLatencyMs: number;
  shadowLatencyMs: number;
  /** Mean text similarity over the pairs where both succeeded; null without one. */
  similarity: number | null;
  /** Spend of each side on these calls (the shadow's is not in `usage.total`). */
  primaryCostUsd: number;
  shadowCostUsd: number;
}

/** What a page receives every `intervalMs`: the client's reports and the counters. */
export interface DashboardSnapshot {
  /** ISO time the snapshot was taken. */
  at: string;
  /** Period of the snapshot push, in ms. */
  intervalMs: number;
  health: HealthReport;
  usage: UsageReport;
  counters: DashboardCounters;
  /** Shadow comparisons per group that has a shadow. */
  shadows: DashboardShadowSummary[];
}

/** What `{path}/snapshot.json` answers: a snapshot and the recent history. */
export interface DashboardState extends DashboardSnapshot {
  /** Oldest first. */
  failovers: DashboardFailover[];
  /** Oldest first. */
  changes: DashboardChange[];
}

/** A fixed-size buffer keeping the newest items. */
export class Ring<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#items.length;
    if (this.#size < this.#items.length) this.#size++;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    const capacity = this.#items.length;
    const start = (this.#next - this.#size + capacity) % capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(start + i) % capacity] as T);
    return out;
  }
}

/** Events per second over a sliding window of whole seconds plus the current one. */
export class RateCounter {
  readonly #windowSeconds: number;
  readonly #seconds: number[];
  readonly #counts: number[];
  readonly #startedAt: number;

  constructor(windowSeconds = 5, now = Date.now()) {
    this.#windowSeconds = windowSeconds;
    this.#seconds = new Array<number>(windowSeconds + 1).fill(-1);
    this.#counts = new Array<number>(windowSeconds + 1).fill(0);
    this.#startedAt = now;
  }

  add(now = Date.now()): void {
    const second = Math.floor(now / 1000);
    const slot = second % this.#seconds.length;
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second;
      this.#counts[slot] = 0;
    }
    this.#counts[slot]!++;
  }

  /** Events per second, rounded to 2 decimals. */
  rate(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < this.#seconds.length; i++) {
      const at = this.#seconds[i]!;
      if (at > second - this.#windowSeconds && at <= second) total += this.#counts[i]!;
    }
    const window = this.#windowSeconds - 1 + (now % 1000) / 1000;
    const span = Math.max(1, Math.min(window, (now - this.#startedAt) / 1000));
    return Math.round((total / span) * 100) / 100;
  }
}

interface ShadowTotals {
  deployment: string;
  compared: number;
  primaryOk: number;
  shadowOk: number;
  primaryLatencyMs: number;
  shadowLatencyMs: number;
  similarPairs: number;
  similarity: number;
  primaryCostUsd: number;
  shadowCostUsd: number;
}

/** Counters, the request rate and the recent history, recorded from the client's events. */
export class Activity {
  readonly #shadows = new Map<string, ShadowTotals>();
  readonly #failovers = new Ring<DashboardFailover>(DASHBOARD_HISTORY_SIZE);
  readonly #changes = new Ring<DashboardChange>(DASHBOARD_HISTORY_SIZE);
  readonly #rate: RateCounter;
  readonly #since: string;
  #successes = 0;
  #errors = 0;
  #failoverCount = 0;

  constructor(now = Date.now()) {
    this.#rate = new RateCounter(5, now);
    this.#since = new Date(now).toISOString();
  }

  success(now = Date.now()): void {
    this.#successes++;
    this.#rate.add(now);
  }

  error(now = Date.now()): void {
    this.#errors++;
    this.#rate.add(now);
  }

  shadow(c: ShadowComparison): void {
    let totals = this.#shadows.get(c.model);
    if (!totals) {
      totals = {
        deployment: c.shadow.deployment ?? '',
        compared: 0,
        primaryOk: 0,
        shadowOk: 0,
        primaryLatencyMs: 0,
        shadowLatencyMs: 0,
        similarPairs: 0,
        similarity: 0,
        primaryCostUsd: 0,
        shadowCostUsd: 0,
      };
      this.#shadows.set(c.model, totals);
    }
    totals.compared++;
    if (c.primary.ok) totals.primaryOk++;
    if (c.shadow.ok) totals.shadowOk++;
    totals.primaryLatencyMs += c.primary.latencyMs;
    totals.shadowLatencyMs += c.shadow.latencyMs;
    if (c.similarity !== null) {
      totals.similarPairs++;
      totals.similarity += c.similarity;
    }
    totals.primaryCostUsd += c.primary.costUsd ?? 0;
    totals.shadowCostUsd += c.shadow.costUsd ?? 0;
  }

  /** Shadow comparisons per group, in the order groups were first compared. */
  shadows(): DashboardShadowSummary[] {
    const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
    return [...this.#shadows].map(([model, t]) => ({
      model,
      deployment: t.deployment,
      compared: t.compared,
      primarySuccessRate: round(t.primaryOk / t.compared, 3),
      shadowSuccessRate: round(t.shadowOk / t.compared, 3),
      primaryLatencyMs: round(t.primaryLatencyMs / t.compared, 1),
      shadowLatencyMs: round(t.shadowLatencyMs / t.compared, 1),
      similarity: t.similarPairs > 0 ? round(t.similarity / t.similarPairs, 3) : null,
      primaryCostUsd: round(t.primaryCostUsd, 9),
      shadowCostUsd: round(t.shadowCostUsd, 9),
    }));
  }

  failover(entry: DashboardFailover): void {
    this.#failoverCount++;
    this.#failovers.push(entry);
  }

  change(entry: DashboardChange): void {
    this.#changes.push(entry);
  }

  counters(now = Date.now()): DashboardCounters {
    return {
      since: this.#since,
      requests: this.#successes + this.#errors,
      successes: this.#successes,
      errors: this.#errors,
      failovers: this.#failoverCount,
      requestsPerSecond: this.#rate.rate(now),
    };
  }

  /** Recent failovers, oldest first. */
  failovers(): DashboardFailover[] {
    return this.#failovers.toArray();
  }

  /** Recent breaker and health changes, oldest first. */
  changes(): DashboardChange[] {
    return this.#changes.toArray();
  }
}
