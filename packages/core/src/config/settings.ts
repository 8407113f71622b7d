/** Policy and health settings with defaults applied. */
import type {
  HedgeConfig,
  ResolvedHealth,
  ResolvedHedge,
  ResolvedMetrics,
  ResolvedPolicy,
  ResolvedProbes,
  ResolvedTracing,
} from '../types';
import { DEFAULTS } from './defaults';
import type { ParsedConfig } from './schema';

/** The policy with every default filled in. */
export function resolvePolicy(policy: ParsedConfig['policy']): ResolvedPolicy {
  const d = DEFAULTS.policy;
  return {
    retries: policy?.retries ?? d.retries,
    backoff: {
      baseMs: policy?.backoff?.baseMs ?? d.backoff.baseMs,
      maxMs: policy?.backoff?.maxMs ?? d.backoff.maxMs,
    },
    maxRetryAfterMs: policy?.maxRetryAfterMs ?? d.maxRetryAfterMs,
    authCooldownMs: policy?.authCooldownMs ?? d.authCooldownMs,
    rateLimitCooldownMs: policy?.rateLimitCooldownMs ?? d.rateLimitCooldownMs,
    deadlineMs: policy?.deadlineMs ?? d.deadlineMs,
    minAttemptMs: policy?.minAttemptMs ?? d.minAttemptMs,
    maxWaitMs: policy?.maxWaitMs ?? d.maxWaitMs,
    learnRateLimits: policy?.learnRateLimits ?? d.learnRateLimits,
    breaker: {
      errorThresholdPercentage:
        policy?.breaker?.errorThresholdPercentage ?? d.breaker.errorThresholdPercentage,
      volumeThreshold: policy?.breaker?.volumeThreshold ?? d.breaker.volumeThreshold,
      resetTimeoutMs: policy?.breaker?.resetTimeoutMs ?? d.breaker.resetTimeoutMs,
      rollingWindowMs: policy?.breaker?.rollingWindowMs ?? d.breaker.rollingWindowMs,
      consecutiveFailures: policy?.breaker?.consecutiveFailures ?? d.breaker.consecutiveFailures,
    },
    stream: {
      headersTimeoutMs: policy?.stream?.headersTimeoutMs ?? d.stream.headersTimeoutMs,
      firstTokenTimeoutMs: policy?.stream?.firstTokenTimeoutMs ?? d.stream.firstTokenTimeoutMs,
      idleTimeoutMs: policy?.stream?.idleTimeoutMs ?? d.stream.idleTimeoutMs,
    },
  };
}

/** A hedge setting with its defaults filled in. */
export function resolveHedge(hedge: HedgeConfig | undefined): ResolvedHedge | undefined {
  if (!hedge) return undefined;
  return {
    afterMs: hedge.afterMs,
    percentile: hedge.percentile,
    maxHedges: hedge.maxHedges ?? DEFAULTS.hedgeMaxHedges,
  };
}

/** The health settings with every default filled in; score weights scaled to sum to 1. */
export function resolveHealth(health: ParsedConfig['health']): ResolvedHealth {
  const d = DEFAULTS.health;
  const weights = health?.scoreWeights ?? d.scoreWeights;
  const total = weights.success + weights.latency;
  return {
    windowSize: health?.windowSize ?? d.windowSize,
    ewmaAlpha: health?.ewmaAlpha ?? d.ewmaAlpha,
    degradedLatencyMs: health?.degradedLatencyMs ?? d.degradedLatencyMs,
    unhealthyAfter: health?.unhealthyAfter ?? d.unhealthyAfter,
    degradedSuccessRate: health?.degradedSuccessRate ?? d.degradedSuccessRate,
    scoreWeights: { success: weights.success / total, latency: weights.latency / total },
  };
}

/** Probes: off unless `true` or an object; defaults filled in. */
export function resolveProbes(probes: ParsedConfig['probes']): ResolvedProbes | undefined {
  if (!probes) return undefined;
  const d = DEFAULTS.probes;
  const given = probes === true ? {} : probes;
  return {
    intervalMs: given.intervalMs ?? d.intervalMs,
    timeoutMs: given.timeoutMs ?? d.timeoutMs,
    jitter: given.jitter ?? d.jitter,
    mode: given.mode ?? d.mode,
  };
}

/** Metrics: off unless `true` or an object. The app's registry is kept behind a function so it is never frozen. */
export function resolveMetrics(metrics: ParsedConfig['metrics']): ResolvedMetrics | undefined {
  if (!metrics) return undefined;
  const given = metrics === true ? {} : metrics;
  const registry = given.registry;
  return { prefix: given.prefix ?? DEFAULTS.metricsPrefix, registry: registry ? () => registry : undefined };
}

/** Tracing: off unless `true` or an object. */
export function resolveTracing(tracing: ParsedConfig['tracing']): ResolvedTracing | undefined {
  if (!tracing) return undefined;
  const tracer = tracing === true ? undefined : tracing.tracer;
  return { tracer: tracer ? () => tracer : undefined };
}
