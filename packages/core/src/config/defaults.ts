/** Default values of every optional setting. */
import type {
  CanaryRollbackConfig,
  Protocol,
  ResolvedHealth,
  ResolvedLimits,
  ResolvedPolicy,
  ResolvedProbes,
  RoutingStrategyName,
} from '../types';

/** Defaults applied to each provider. */
export interface ProviderDefaults {
  readonly protocol: Protocol;
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
}

/** Every default applied by `resolveConfig`. */
export interface ConfigDefaults {
  readonly policy: ResolvedPolicy;
  readonly limits: ResolvedLimits;
  readonly health: ResolvedHealth;
  readonly probes: ResolvedProbes;
  readonly metricsPrefix: string;
  readonly provider: ProviderDefaults;
  /** Default `weight` of a deployment; its `priority` defaults to its index in the group. */
  readonly deploymentWeight: number;
  readonly strategy: RoutingStrategyName;
  /** A canary's rollback rules, from the playbooks: 5 % errors or a p99 over 5 s, over a minute of 20 calls or more. */
  readonly canaryRollback: Readonly<Required<CanaryRollbackConfig>>;
  /** Shadow calls in flight at most, per group. */
  readonly shadowMaxConcurrent: number;
  /** Prefix of the environment variables read with `fromEnv: true`. */
  readonly envPrefix: string;
  /** Most hedges per call when a hedge setting names none. */
  readonly hedgeMaxHedges: number;
  /** Latencies a deployment needs before a `percentile` hedge delay is read from them. */
  readonly hedgeMinSamples: number;
}

/** The defaults documented on the config types (deeply frozen). */
export const DEFAULTS: ConfigDefaults = Object.freeze({
  policy: Object.freeze({
    retries: 1,
    backoff: Object.freeze({ baseMs: 200, maxMs: 2_000 }),
    maxRetryAfterMs: 3_000,
    authCooldownMs: 60_000,
    rateLimitCooldownMs: 5_000,
    deadlineMs: 60_000,
    minAttemptMs: 100,
    maxWaitMs: 3_000,
    learnRateLimits: true,
    breaker: Object.freeze({
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 30_000,
      rollingWindowMs: 10_000,
      consecutiveFailures: 5,
    }),
    stream: Object.freeze({ headersTimeoutMs: 10_000, firstTokenTimeoutMs: 15_000, idleTimeoutMs: 30_000 }),
  }),
  limits: Object.freeze({
    responseBytes: 32 * 1024 * 1024,
    eventBytes: 1024 * 1024,
    preTokenBytes: 1024 * 1024,
    retryAfterMs: 3_600_000,
  }),
  health: Object.freeze({
    windowSize: 100,
    ewmaAlpha: 0.3,
    degradedLatencyMs: 2_000,
    unhealthyAfter: 3,
    degradedSuccessRate: 0.9,
    scoreWeights: Object.freeze({ success: 0.7, latency: 0.3 }),
  }),
  probes: Object.freeze({ intervalMs: 30_000, timeoutMs: 5_000, jitter: 0.1, mode: 'models' }),
  metricsPrefix: 'ai_',
  provider: Object.freeze({ protocol: 'openai', timeoutMs: 30_000, maxConcurrent: 64 }),
  deploymentWeight: 1,
  strategy: 'priority',
  canaryRollback: Object.freeze({ errorRate: 0.05, p99Ms: 5_000, windowMs: 60_000, minCalls: 20 }),
  shadowMaxConcurrent: 4,
  envPrefix: 'AI_FAILOVER_',
  hedgeMaxHedges: 1,
  hedgeMinSamples: 20,
});
