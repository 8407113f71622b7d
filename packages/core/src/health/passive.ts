/** Passive health: what the live traffic of one deployment says about it. */
import type { AttemptOutcome, HealthStatus, ResolvedHealth } from '../types';
import { nearestRank, OutcomeWindow } from './window';

/** Samples needed before a low success rate may make a deployment degraded (or the window size, if smaller). */
const MIN_SAMPLES_FOR_SUCCESS_RATE = 5;

/** A point-in-time copy of one deployment's passive health. */
export interface HealthSnapshot {
  status: HealthStatus;
  /** 0..1; see {@link PassiveHealth.score}. */
  score: number;
  latencyEwmaMs: number | undefined;
  /** Nearest-rank percentiles of the latencies of the successes in the window. */
  latencyP50Ms: number | undefined;
  latencyP95Ms: number | undefined;
  /** Over the window; `undefined` with no sample. */
  successRate: number | undefined;
  /** Outcomes in the window. */
  samples: number;
  consecutiveFailures: number;
  /** As given to `recordFailure` (the outcome name when no message was given). */
  lastError: string | undefined;
  /** Epoch ms of the last sample. */
  lastCheckedAt: number | undefined;
  lastSuccessAt: number | undefined;
  lastFailureAt: number | undefined;
}

/** Health settings of one deployment (its own `degradedLatencyMs` already applied). */
export interface PassiveHealthOptions extends ResolvedHealth {
  degradedLatencyMs: number;
}

/** Called with the new and the previous status. */
export type HealthStatusListener = (next: HealthStatus, previous: HealthStatus) => void;

const NO_LISTENERS: readonly HealthStatusListener[] = [];

function defined(value: number): number | undefined {
  return Number.isNaN(value) ? undefined : value;
}

/**
 * Passive health of one deployment, from the outcomes of its real requests.
 *
 * - A window of the last `windowSize` outcomes gives the success rate and latency percentiles.
 * - The latency EWMA follows successes only (`ewma = alpha × sample + (1 − alpha) × ewma`; the
 *   first sample sets it): a failure's latency says little about the deployment's speed.
 * - Status: `unhealthy` once `consecutiveFailures ≥ unhealthyAfter`; else `degraded` when the
 *   EWMA exceeds `degradedLatencyMs`, or when the window holds at least 5 samples (or is full,
 *   if smaller) and the success rate is below `degradedSuccessRate`; else `healthy`. With no
 *   sample: `healthy`.
 * - `client_error`, `context_length` and `aborted` are the caller's doing and are not recorded.
 *   `rate_limited` counts as a failure in the window but leaves `consecutiveFailures` alone.
 *
 * Recording is O(1) and allocates nothing.
 */
export class PassiveHealth {
  readonly #window: OutcomeWindow;
  readonly #alpha: number;
  readonly #degradedLatencyMs: number;
  readonly #unhealthyAfter: number;
  readonly #degradedSuccessRate: number;
  readonly #minSamples: number;
  readonly #successWeight: number;
  readonly #latencyWeight: number;
  readonly #now: () => number;
  readonly #onListenerError: (error: unknown) => void;

  #status: HealthStatus = 'healthy';
  /** `NaN` until the first successful sample. */
  #ewma = Number.NaN;
  #consecutiveFailures = 0;
  #lastError: string | undefined = undefined;
  #lastCheckedAt = Number.NaN;
  #lastSuccessAt = Number.NaN;
  #lastFailureAt = Number.NaN;
  #listeners: readonly HealthStatusListener[] = NO_LISTENERS;
  /** Bumped on every record, so a percentile is sorted again only when a sample came in. */
  #version = 0;
  #scratch: Float64Array | undefined;
  #percentile = { of: Number.NaN, version: -1, value: undefined as number | undefined };

  /**
   * @param now Clock in epoch ms (default `Date.now`).
   * @param onListenerError Receives what a status listener throws, which never reaches the
   *   recording caller (default: dropped).
   * @throws RangeError unless `windowSize` is a positive integer.
   */
  constructor(
    options: PassiveHealthOptions,
    now: () => number = Date.now,
    onListenerError: (error: unknown) => void = () => {},
  ) {
    this.#window = new OutcomeWindow(options.windowSize);
    this.#alpha = options.ewmaAlpha;
    this.#degradedLatencyMs = options.degradedLatencyMs;
    this.#unhealthyAfter = Math.max(1, options.unhealthyAfter);
    this.#degradedSuccessRate = options.degradedSuccessRate;
    this.#minSamples = Math.min(MIN_SAMPLES_FOR_SUCCESS_RATE, options.windowSize);
    this.#successWeight = options.scoreWeights.success;
    this.#latencyWeight = options.scoreWeights.latency;
    this.#now = now;
    this.#onListenerError = onListenerError;
  }

  /**
   * Records a success. A latency that is not a finite number ≥ 0 still counts the success but
   * leaves the EWMA and percentiles alone.
   */
  recordSuccess(latencyMs: number): void {
    const at = this.#now();
    const valid = latencyMs >= 0 && latencyMs < Number.POSITIVE_INFINITY;
    this.#window.record(true, valid ? latencyMs : Number.NaN);
    if (valid) {
      const ewma = this.#ewma;
      this.#ewma = Number.isNaN(ewma) ? latencyMs : this.#alpha * latencyMs + (1 - this.#alpha) * ewma;
    }
    this.#consecutiveFailures = 0;
    this.#lastCheckedAt = at;
    this.#lastSuccessAt = at;
    this.#update();
  }

  /**
   * Records a success that says the deployment answers but nothing about its completion latency
   * (an active probe that listed models): counts a success in the window and resets
   * `consecutiveFailures`, leaving the EWMA and percentiles alone.
   */
  recordProbeSuccess(): void {
    const at = this.#now();
    this.#window.record(true, Number.NaN);
    this.#consecutiveFailures = 0;
    this.#lastCheckedAt = at;
    this.#lastSuccessAt = at;
    this.#update();
  }

  /**
   * Records a failed attempt. `client_error`, `context_length` and `aborted` record nothing;
   * `rate_limited` counts in the window without adding to `consecutiveFailures`; `success` is
   * taken as {@link recordSuccess} (when a latency is given). `message` must already be free of
   * secrets; it defaults to the outcome's name.
   */
  recordFailure(outcome: AttemptOutcome, latencyMs: number | undefined, message?: string): void {
    switch (outcome) {
      case 'client_error':
      case 'context_length':
      case 'aborted':
        return;
      case 'success':
        if (latencyMs !== undefined) this.recordSuccess(latencyMs);
        return;
      case 'rate_limited':
        break;
      default:
        this.#consecutiveFailures++;
    }
    const at = this.#now();
    this.#window.record(
      false,
      latencyMs !== undefined && latencyMs >= 0 && latencyMs < Number.POSITIVE_INFINITY
        ? latencyMs
        : Number.NaN,
    );
    this.#lastError = message ?? outcome;
    this.#lastCheckedAt = at;
    this.#lastFailureAt = at;
    this.#update();
  }

  /** Status computed from the samples alone (breaker state is combined with it elsewhere). */
  get status(): HealthStatus {
    return this.#status;
  }

  /**
   * `scoreWeights.success × successRate + scoreWeights.latency × latencyScore`, clamped to [0, 1].
   * `successRate` is over the window (1 with no sample). `latencyScore` is 1 while the EWMA is at
   * most `degradedLatencyMs / 2`, 0 from `2 × degradedLatencyMs` up, linear in between (1 with no
   * latency sample).
   */
  get score(): number {
    const size = this.#window.size;
    const successRate = size === 0 ? 1 : this.#window.successes / size;
    const ewma = this.#ewma;
    const threshold = this.#degradedLatencyMs;
    let latencyScore = 1;
    if (ewma > threshold / 2) {
      latencyScore = ewma >= 2 * threshold ? 0 : (2 * threshold - ewma) / (1.5 * threshold);
    }
    const score = this.#successWeight * successRate + this.#latencyWeight * latencyScore;
    return Math.min(1, Math.max(0, score));
  }

  /**
   * Nearest-rank `percentile` of the latencies of the successes in the window, once at least
   * `minSamples` are known; sorted again only after a new sample, into a buffer kept for it.
   */
  latencyPercentile(percentile: number, minSamples: number): number | undefined {
    const cache = this.#percentile;
    if (cache.of === percentile && cache.version === this.#version) return cache.value;
    this.#scratch ??= new Float64Array(this.#window.capacity);
    const n = this.#window.copySuccessLatencies(this.#scratch);
    const sorted = this.#scratch.subarray(0, n).sort();
    cache.of = percentile;
    cache.version = this.#version;
    cache.value = n >= minSamples ? nearestRank(sorted, percentile) : undefined;
    return cache.value;
  }

  /** Epoch ms of the last sample; `NaN` before the first. */
  get lastCheckedAt(): number {
    return this.#lastCheckedAt;
  }

  /** Latency EWMA of successes; `undefined` before the first. */
  get latencyEwmaMs(): number | undefined {
    return defined(this.#ewma);
  }

  /** Failures since the last success (`rate_limited` not counted). */
  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** A copy of the current figures, percentiles included (allocates and sorts: not for the hot path). */
  snapshot(): HealthSnapshot {
    const latencies = this.#window.latencies().sort();
    return {
      status: this.#status,
      score: this.score,
      latencyEwmaMs: defined(this.#ewma),
      latencyP50Ms: nearestRank(latencies, 50),
      latencyP95Ms: nearestRank(latencies, 95),
      successRate: this.#window.successRate,
      samples: this.#window.size,
      consecutiveFailures: this.#consecutiveFailures,
      lastError: this.#lastError,
      lastCheckedAt: defined(this.#lastCheckedAt),
      lastSuccessAt: defined(this.#lastSuccessAt),
      lastFailureAt: defined(this.#lastFailureAt),
    };
  }

  /**
   * Calls `listener(next, previous)` synchronously after a record (or `reset`) that changes the
   * status. Returns a disposer; disposing twice is harmless.
   */
  onStatusChange(listener: HealthStatusListener): () => void {
    this.#listeners = [...this.#listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const at = this.#listeners.indexOf(listener);
      if (at !== -1) this.#listeners = this.#listeners.filter((_, i) => i !== at);
    };
  }

  /** Forgets every sample: back to healthy with no figures. Listeners hear of the change, if any. */
  reset(): void {
    this.#window.clear();
    this.#ewma = Number.NaN;
    this.#consecutiveFailures = 0;
    this.#lastError = undefined;
    this.#lastCheckedAt = Number.NaN;
    this.#lastSuccessAt = Number.NaN;
    this.#lastFailureAt = Number.NaN;
    this.#update();
  }

  #compute(): HealthStatus {
    if (this.#consecutiveFailures >= this.#unhealthyAfter) return 'unhealthy';
    if (this.#ewma > this.#degradedLatencyMs) return 'degraded';
    const size = this.#window.size;
    if (size >= this.#minSamples && this.#window.successes / size < this.#degradedSuccessRate) {
      return 'degraded';
    }
    return 'healthy';
  }

  #update(): void {
    this.#version++;
    const next = this.#compute();
    const previous = this.#status;
    if (next === previous) return;
    this.#status = next;
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i](next, previous);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
