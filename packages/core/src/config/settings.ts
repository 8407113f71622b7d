/** Policy and health settings with defaults applied. */
import type { ResolvedHealth, ResolvedPolicy } from '../types';
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
    breaker: {
      errorThresholdPercentage:
        policy?.breaker?.errorThresholdPercentage ?? d.breaker.errorThresholdPercentage,
      volumeThreshold: policy?.breaker?.volumeThreshold ?? d.breaker.volumeThreshold,
      resetTimeoutMs: policy?.breaker?.resetTimeoutMs ?? d.breaker.resetTimeoutMs,
      rollingWindowMs: policy?.breaker?.rollingWindowMs ?? d.breaker.rollingWindowMs,
    },
    stream: {
      headersTimeoutMs: policy?.stream?.headersTimeoutMs ?? d.stream.headersTimeoutMs,
      firstTokenTimeoutMs: policy?.stream?.firstTokenTimeoutMs ?? d.stream.firstTokenTimeoutMs,
      idleTimeoutMs: policy?.stream?.idleTimeoutMs ?? d.stream.idleTimeoutMs,
    },
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
