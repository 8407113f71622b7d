/** Public types: the configuration a user writes, the requests and results they see. */

// ---------------------------------------------------------------------------------------------
// Configuration (what the user writes)
// ---------------------------------------------------------------------------------------------

/** An API key: a literal, or the name of an environment variable read once at start-up. */
export type KeySource = string | { env: string };

/** Wire protocol of a provider. Only OpenAI-compatible APIs are spoken today. */
export type Protocol = 'openai';

export interface ProviderConfig {
  /** Unique id, used in deployment ids (`openai/gpt-4.1`), reports and metrics. */
  id: string;
  /** Base URL of the API, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  /** One key, or several used in turn (each cools down on its own after a 429 or 401). */
  apiKey?: KeySource | KeySource[];
  protocol?: Protocol;
  /** Extra headers sent on every request (e.g. `OpenAI-Organization`). */
  headers?: Record<string, string>;
  /** Per-attempt timeout for non-streaming calls (default 30 000 ms). */
  timeoutMs?: number;
  /** Most requests in flight to this provider at once (default 64). */
  maxConcurrent?: number;
  /** This provider's bounds, over the config's `limits`. */
  limits?: LimitsConfig;
}

/**
 * What one upstream response may make the client hold. Crossing a size limit fails the attempt
 * as a bad response (it counts against the deployment, and the call fails over); a longer wait
 * asked for by an upstream is cut to `retryAfterMs`.
 */
export interface LimitsConfig {
  /** Largest non-streaming response body: bytes, or a size like `'32mb'` (default 32 MiB). */
  responseBytes?: number | string;
  /** Largest line or event of a stream, counted in characters (default 1 MiB). */
  eventBytes?: number | string;
  /** Most stream data held before the first content token (default 1 MiB). */
  preTokenBytes?: number | string;
  /** Longest wait an upstream may ask for (`Retry-After`, `retry-after-ms`); longer is cut to it (default 1 h). */
  retryAfterMs?: number;
}

export interface PriceConfig {
  /** USD per million input (prompt) tokens. */
  input: number;
  /** USD per million output (completion) tokens. */
  output: number;
}

export interface DeploymentConfig {
  /** Id of the provider that serves it. */
  provider: string;
  /** The model name as that provider knows it. */
  model: string;
  /** Relative weight for the `weighted` strategy (default 1). */
  weight?: number;
  /** Lower is tried first by the `priority` strategy (default: the order written). */
  priority?: number;
  price?: PriceConfig;
  /** Latency above which this deployment counts as degraded (default: health.degradedLatencyMs). */
  degradedLatencyMs?: number;
}

export type RoutingStrategyName =
  | 'priority'
  | 'weighted'
  | 'round-robin'
  | 'least-busy'
  | 'lowest-latency'
  | 'consistent-hash';

export interface ModelGroupConfig {
  deployments: DeploymentConfig[];
  /** How to order this group's deployments (default `priority`). */
  strategy?: RoutingStrategyName;
  /** Groups tried, in order, after every deployment of this one has failed. Not transitive. */
  fallbacks?: string[];
  /** Group to move to when a provider says the prompt is longer than the model's context. */
  contextFallback?: string;
}

export interface BackoffConfig {
  /** First backoff step (default 200 ms); exponential with full jitter. */
  baseMs?: number;
  /** Cap on one backoff (default 2 000 ms). */
  maxMs?: number;
}

export interface BreakerConfig {
  /** Failure percentage in the rolling window that opens the breaker (default 50). */
  errorThresholdPercentage?: number;
  /** Calls in the window before the breaker may open (default 5). */
  volumeThreshold?: number;
  /** Time open before one probe call is let through (default 30 000 ms). */
  resetTimeoutMs?: number;
  /** Length of the rolling window (default 10 000 ms). */
  rollingWindowMs?: number;
  /**
   * Failures in a row that open the breaker at once, whatever the window holds (default 5; 0 turns
   * it off). After a long healthy stretch the percentage alone would take many failures to trip.
   */
  consecutiveFailures?: number;
}

export interface StreamTimeoutsConfig {
  /** Time to the response headers (default 10 000 ms). */
  headersTimeoutMs?: number;
  /** Time from the request to the first content token (default 15 000 ms). */
  firstTokenTimeoutMs?: number;
  /** Longest silence between two chunks (default 30 000 ms). */
  idleTimeoutMs?: number;
}

export interface PolicyConfig {
  /** Extra attempts on the same deployment for a transient failure (default 1). */
  retries?: number;
  backoff?: BackoffConfig;
  /** A 429's `Retry-After` up to this is waited out on the same deployment; longer fails over (default 3 000 ms). */
  maxRetryAfterMs?: number;
  /** Cooldown of a key rejected with 401/403 (default 60 000 ms). */
  authCooldownMs?: number;
  /** Cooldown of a key after a 429 that names no Retry-After (default 5 000 ms). */
  rateLimitCooldownMs?: number;
  /** Whole-request budget: retries, fallbacks and waits included (default 60 000 ms). */
  deadlineMs?: number;
  /** No attempt starts with less than this left of the deadline (default 100 ms). */
  minAttemptMs?: number;
  breaker?: BreakerConfig;
  stream?: StreamTimeoutsConfig;
}

export interface HealthConfig {
  /** Outcomes kept per deployment for success rate and percentiles (default 100). */
  windowSize?: number;
  /** Weight of the newest sample in the latency EWMA (default 0.3). */
  ewmaAlpha?: number;
  /** Default latency above which a deployment is degraded (default 2 000 ms). */
  degradedLatencyMs?: number;
  /** Consecutive failures that make a deployment unhealthy (default 3). */
  unhealthyAfter?: number;
  /** Success rate below which a deployment is degraded (default 0.9). */
  degradedSuccessRate?: number;
  /** Weights of the health score (default success 0.7, latency 0.3). */
  scoreWeights?: { success: number; latency: number };
}

/** A structured logger. It never receives an API key. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}

export interface ProbesConfig {
  /** Time between two probes of one provider (or deployment) (default 30 000 ms). */
  intervalMs?: number;
  /** Timeout of one probe (default 5 000 ms). */
  timeoutMs?: number;
  /** Random spread of the interval, as a fraction of it (default 0.1). */
  jitter?: number;
  /** `models`: a cheap `GET /models` per provider; `completion`: a one-token completion per deployment (default `models`). */
  mode?: 'models' | 'completion';
}

export interface MetricsConfig {
  /** A prom-client `Registry` to put the metrics on (default: a new one). */
  registry?: object;
  /** Metric name prefix (default `ai_`). */
  prefix?: string;
}

export interface TracingConfig {
  /** An OpenTelemetry `Tracer` (default: `trace.getTracer('ai-failover')`). */
  tracer?: object;
}

export interface AiFailoverConfig {
  providers: ProviderConfig[];
  /** Model groups by the name the app asks for (`gpt-4.1`, or an alias like `smart`). */
  models: Record<string, ModelGroupConfig>;
  /** Group used when a call names no model (default: the first group written). */
  defaultModel?: string;
  policy?: PolicyConfig;
  /** Bounds on what an upstream response may make the client hold, for every provider. */
  limits?: LimitsConfig;
  health?: HealthConfig;
  /** Active health probes in the background (off by default). */
  probes?: boolean | ProbesConfig;
  /** Prometheus metrics through `prom-client`, an optional peer dependency (off by default). */
  metrics?: boolean | MetricsConfig;
  /** OpenTelemetry spans through `@opentelemetry/api`, when installed (off by default). */
  tracing?: boolean | TracingConfig;
  logger?: Logger;
}

// ---------------------------------------------------------------------------------------------
// Resolved configuration (validated, defaults applied, frozen)
// ---------------------------------------------------------------------------------------------

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
  /** Extra headers, which may carry keys (not enumerable, like `keys`). */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxConcurrent: number;
  readonly limits: ResolvedLimits;
}

/** `LimitsConfig` with defaults applied, sizes in bytes. */
export interface ResolvedLimits {
  readonly responseBytes: number;
  readonly eventBytes: number;
  readonly preTokenBytes: number;
  readonly retryAfterMs: number;
}

export interface ResolvedDeployment {
  /** `provider/model` */
  readonly id: string;
  readonly provider: string;
  readonly model: string;
  readonly weight: number;
  readonly priority: number;
  readonly price: Readonly<PriceConfig> | undefined;
  readonly degradedLatencyMs: number;
}

export interface ResolvedModelGroup {
  readonly name: string;
  readonly strategy: RoutingStrategyName;
  readonly deployments: readonly ResolvedDeployment[];
  readonly fallbacks: readonly string[];
  readonly contextFallback: string | undefined;
}

export interface ResolvedPolicy {
  readonly retries: number;
  readonly backoff: Readonly<Required<BackoffConfig>>;
  readonly maxRetryAfterMs: number;
  readonly authCooldownMs: number;
  readonly rateLimitCooldownMs: number;
  readonly deadlineMs: number;
  readonly minAttemptMs: number;
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
  readonly policy: ResolvedPolicy;
  readonly health: ResolvedHealth;
  readonly probes: ResolvedProbes | undefined;
  readonly metrics: ResolvedMetrics | undefined;
  readonly tracing: ResolvedTracing | undefined;
  readonly logger: Logger | undefined;
}

// ---------------------------------------------------------------------------------------------
// Requests (OpenAI chat-completions shapes; extra fields pass through untouched)
// ---------------------------------------------------------------------------------------------

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer' | (string & {});
  content: string | unknown[] | null;
  name?: string;
  [key: string]: unknown;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Ignored for routing: the model group comes from `options.model`; each deployment sends its own model name. */
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [key: string]: unknown };
  max_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: string; content: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: Usage;
  [key: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: Usage | null;
  [key: string]: unknown;
}

export interface EmbeddingsRequest {
  input: string | string[] | number[] | number[][];
  model?: string;
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  [key: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage?: { prompt_tokens: number; total_tokens: number };
  [key: string]: unknown;
}

/** Options of one call. */
export interface CallOptions {
  /** Model group to use (default: the config's `defaultModel`). */
  model?: string;
  /** Groups to try after `model`'s own deployments, replacing the group's configured fallbacks. */
  fallbacks?: readonly string[];
  /** Aborts the call, upstream included. */
  signal?: AbortSignal;
  /** Budget for the whole call (default: policy.deadlineMs). */
  deadlineMs?: number;
  /** Key for consistent hashing (a user or session id). */
  affinityKey?: string;
  /** Extra attempts on the same deployment for a transient failure. */
  retries?: number;
  /** Per-attempt timeout (default: the provider's). */
  timeoutMs?: number;
  /** Free-form labels copied to the report and events (never sent upstream). */
  metadata?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

/** What happened on one attempt. */
export type AttemptOutcome =
  | 'success'
  | 'rate_limited'
  | 'server_error'
  | 'auth_error'
  | 'client_error'
  | 'context_length'
  | 'not_found'
  | 'timeout'
  | 'first_token_timeout'
  | 'stream_stalled'
  | 'connection_error'
  | 'bad_response'
  | 'aborted';

/** What the engine did next. */
export type AttemptDecision = 'done' | 'retry' | 'failover' | 'stop';

export interface AttemptReport {
  deployment: string;
  provider: string;
  /** Model group the deployment was tried for. */
  group: string;
  outcome: AttemptOutcome;
  decision: AttemptDecision;
  status?: number;
  latencyMs: number;
  /** Error message with secrets removed. */
  error?: string;
  /** Wait asked for by the provider (Retry-After), if any. */
  retryAfterMs?: number;
}

export interface RequestReport {
  requestId: string;
  /** The model group asked for. */
  model: string;
  /** The deployment that answered (`provider/model`). */
  deployment?: string;
  provider?: string;
  /** Group the answering deployment belongs to (differs from `model` after a fallback). */
  servedBy?: string;
  attempts: AttemptReport[];
  /** Attempts that moved on to another deployment. */
  failovers: number;
  usage?: Usage;
  costUsd?: number;
  latencyMs: number;
  /** Streaming only: time to the first content chunk. */
  timeToFirstTokenMs?: number;
  metadata?: Record<string, string>;
}

export interface ChatResult {
  response: ChatCompletion;
  report: RequestReport;
}

export interface EmbeddingsResult {
  response: EmbeddingsResponse;
  report: RequestReport;
}

// ---------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/**
 * Something one client learned about a deployment or a key, in a form another replica can apply
 * (`client.applyStateChange()`): a breaker that opened or closed, a key or deployment cooling down.
 * Keys are named by a fingerprint (a truncated SHA-256), never by their value.
 */
export type StateChange =
  | {
      kind: 'breaker';
      deployment: string;
      state: 'open' | 'closed';
      /** For `open`: epoch ms the breaker lets a probe call through. */
      until?: number;
    }
  | {
      kind: 'cooldown';
      provider: string;
      /** Fingerprint of the key, or null when the provider is keyless (the deployment cools down). */
      key: string | null;
      deployment: string;
      /** Epoch ms the cooldown ends. */
      until: number;
      reason: 'rate_limited' | 'auth';
    };
export type BreakerState = 'closed' | 'open' | 'half-open';
