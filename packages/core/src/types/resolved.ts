/**
 * The configuration after `resolveConfig`: validated, defaults applied, deeply frozen. Internal:
 * the engine reads it; apps write an `AiFailoverConfig` and never need to name these types.
 */
import type { Dispatcher } from 'undici';
import type {
  BackoffConfig,
  BreakerConfig,
  CanaryRollbackConfig,
  Logger,
  PriceConfig,
  Protocol,
  RoutingStrategyName,
  StreamTimeoutsConfig,
} from './config';

export interface ResolvedProvider {
  readonly id: string;
  /** Origin, e.g. `https://api.openai.com` (credentials stripped). */
  readonly origin: string;
  /** Path prefix, e.g. `/v1` (no trailing slash). */
  readonly basePath: string;
  /** Base URL safe to show (no credentials, no query). */
  readonly displayUrl: string;
  /** The keys (not enumerable: left out of `JSON.stringify` and `util.inspect`). */
  readonly keys: readonly string[];
  readonly protocol: Protocol;
  readonly streamUsage: boolean;
  /** Extra headers, which may carry keys (not enumerable, like `keys`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
  readonly limits: ResolvedLimits;
  /** How the provider is reached. */
  readonly transport: ResolvedTransport;
  readonly rateLimit: ResolvedRateLimit | undefined;
  /** Limits of each key. */
  readonly keyRateLimit: ResolvedRateLimit | undefined;
  readonly region: string | undefined;
}

export interface ResolvedRateLimit {
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
}

/** `LimitsConfig` with defaults applied, sizes in bytes. */
export interface ResolvedLimits {
  readonly responseBytes: number;
  readonly eventBytes: number;
  readonly preTokenBytes: number;
  readonly retryAfterMs: number;
}

/** How a provider is reached, decided at start-up. */
export type ResolvedTransport =
  /** The app's dispatcher (behind a function, so it is never frozen); the client does not close it. */
  | { readonly kind: 'dispatcher'; readonly dispatcher: () => Dispatcher }
  /** Through the proxy of the environment (undici's `EnvHttpProxyAgent` with these values). */
  | {
      readonly kind: 'proxy';
      readonly httpProxy: string | undefined;
      readonly httpsProxy: string | undefined;
      readonly noProxy: string;
      readonly ca: readonly string[] | undefined;
    }
  /** A keep-alive pool of the client's own. */
  | { readonly kind: 'direct'; readonly ca: readonly string[] | undefined };

export interface ResolvedDeployment {
  /** `provider/model` */
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  readonly weight: number;
  readonly priority: number;
  readonly price: Readonly<PriceConfig> | undefined;
  readonly degradedLatencyMs: number;
  readonly rateLimit: ResolvedRateLimit | undefined;
  readonly region: string | undefined;
}

export interface ResolvedCanary {
  readonly deployment: ResolvedDeployment;
  readonly percent: number;
  readonly rollback: Readonly<Required<CanaryRollbackConfig>> | undefined;
}

export interface ResolvedShadow {
  readonly deployment: ResolvedDeployment;
  readonly percent: number;
  readonly maxConcurrent: number;
  readonly timeoutMs: number;
}

export interface ResolvedModelGroup {
  readonly name: string;
  readonly strategy: RoutingStrategyName;
  readonly deployments: readonly ResolvedDeployment[];
  readonly fallbacks: readonly string[];
  readonly contextFallback: string | undefined;
  readonly canary: ResolvedCanary | undefined;
  readonly shadow: ResolvedShadow | undefined;
  readonly hedge: ResolvedHedge | undefined;
}

export interface ResolvedHedge {
  readonly afterMs: number | undefined;
  readonly percentile: number | undefined;
  readonly maxHedges: number;
}

export interface ResolvedPolicy {
  readonly retries: number;
  readonly backoff: Readonly<Required<BackoffConfig>>;
  readonly maxRetryAfterMs: number;
  readonly authCooldownMs: number;
  readonly rateLimitCooldownMs: number;
  readonly deadlineMs: number;
  readonly minAttemptMs: number;
  readonly maxWaitMs: number;
  readonly learnRateLimits: boolean;
  readonly breaker: Readonly<Required<BreakerConfig>>;
  readonly stream: Readonly<Required<StreamTimeoutsConfig>>;
}

export interface ResolvedHealth {
  readonly windowSize: number;
  readonly ewmaAlpha: number;
  readonly degradedLatencyMs: number;
  readonly unhealthyAfter: number;
  readonly degradedSuccessRate: number;
  readonly scoreWeights: Readonly<{ success: number; latency: number }>;
}

export interface ResolvedProbes {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly jitter: number;
  readonly mode: 'models' | 'completion';
}

export interface ResolvedMetrics {
  readonly prefix: string;
  /** The app's registry, if it gave one (a function, so the registry itself is not frozen). */
  readonly registry: (() => object) | undefined;
}

export interface ResolvedTracing {
  readonly tracer: (() => object) | undefined;
}

export interface ResolvedConfig {
  readonly providers: ReadonlyMap<string, ResolvedProvider>;
  readonly models: ReadonlyMap<string, ResolvedModelGroup>;
  /** Every distinct deployment (by id) across groups. */
  readonly deployments: ReadonlyMap<string, ResolvedDeployment>;
  readonly defaultModel: string;
  /** The preferred region, if any. */
  readonly region: string | undefined;
  readonly policy: ResolvedPolicy;
  readonly health: ResolvedHealth;
  readonly probes: ResolvedProbes | undefined;
  readonly metrics: ResolvedMetrics | undefined;
  readonly tracing: ResolvedTracing | undefined;
  readonly logger: Logger | undefined;
}
