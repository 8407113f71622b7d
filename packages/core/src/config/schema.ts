/**
 * Zod schemas of the configuration a user writes: the one source of its types (`AiFailoverConfig`
 * and its parts are derived from them in `types/config.ts`, field comments included). They check
 * the shape and every value on its own; references between parts (a deployment's provider, a
 * group's fallbacks) and environment variables are checked by `resolveConfig`.
 */
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { Logger } from '../types/config';
import { DEFAULTS } from './defaults';
import {
  arrayOf,
  byteSize,
  HEADER_NAME,
  intBetween,
  metricPrefix,
  nonEmptyString,
  nonNegativeInt,
  nonNegativeNumber,
  numberBetween,
  numberField,
  oneOf,
  positiveInt,
  positiveNumber,
  strictObject,
} from './fields';
import { expected, expectedType } from './messages';
import { baseUrlProblem } from './url';

/** Every routing strategy name, in the order they are documented. */
export const ROUTING_STRATEGIES = [
  'priority',
  'weighted',
  'round-robin',
  'least-busy',
  'lowest-latency',
  'consistent-hash',
  'health',
] as const;

/** Every wire protocol a provider can speak. */
export const PROTOCOLS = ['openai', 'anthropic', 'gemini'] as const;

/** Longest a Node.js timer waits (about 24.8 days); a breaker's reset period runs on one. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Longest per-attempt timeout a provider may set (10 minutes). */
export const MAX_PROVIDER_TIMEOUT_MS = 600_000;

const PROVIDER_ID = /^[A-Za-z0-9._-]+$/;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/** A provider id: non-empty, letters, digits, `.`, `_` and `-` only. */
export const providerIdSchema = z
  .string({ error: (issue) => expected('a non-empty string', issue.input) })
  .superRefine((id, ctx) => {
    if (id === '') ctx.addIssue('must not be empty');
    else if (!PROVIDER_ID.test(id)) {
      ctx.addIssue(`must contain only letters, digits, ".", "_" and "-", got ${JSON.stringify(id)}`);
    }
  });

/** A provider base URL: http(s), no query string. Credentials in it are accepted and stripped. */
export const baseUrlSchema = z
  .string({ error: (issue) => expectedType('an http(s) URL', issue.input) })
  .superRefine((url, ctx) => {
    const problem = baseUrlProblem(url);
    if (problem) ctx.addIssue(problem);
  });

/** A literal API key. Messages about it never include the key. */
export const literalKeySchema = z
  .string({ error: (issue) => expectedType('a string', issue.input) })
  .superRefine((key, ctx) => {
    if (key === '') ctx.addIssue('must not be empty');
    else if (key.trim() !== key) ctx.addIssue('must not have leading or trailing whitespace');
  });

/** `{ env: 'NAME' }`: the key is read from that environment variable by `resolveConfig`. */
export const envKeySchema = strictObject({ env: nonEmptyString('the name of an environment variable') });

/** One key: a literal or an environment variable reference. */
export const keySourceSchema = z.union([literalKeySchema, envKeySchema], {
  error: (issue) => expectedType('a key string or { env: "NAME" }', issue.input),
});

/** `apiKey`: one key source or a non-empty array of them. */
export const apiKeySchema = z.union(
  [
    keySourceSchema,
    z
      .array(keySourceSchema)
      .min(1, { error: 'must not be an empty array (leave apiKey out for an endpoint without keys)' }),
  ],
  { error: (issue) => expectedType('a key string, { env: "NAME" } or an array of those', issue.input) },
);

/** Extra headers. `Authorization` is refused: the key belongs in `apiKey`. */
export const headersSchema = z.record(
  z.string().superRefine((name, ctx) => {
    if (name.toLowerCase() === 'authorization') {
      ctx.addIssue('must not be set here; give the key with the provider\'s "apiKey" option instead');
    } else if (!HEADER_NAME.test(name)) ctx.addIssue('is not a valid HTTP header name');
  }),
  z
    .string({ error: (issue) => expectedType('a string', issue.input) })
    .refine((value) => !/[\r\n\0]/.test(value), { error: 'must not contain line breaks or NUL characters' }),
  { error: (issue) => expected('an object of header names to string values', issue.input) },
);

/**
 * What one upstream response may make the client hold. Crossing a size limit fails the attempt as
 * a bad response (it counts against the deployment, and the call fails over); a longer wait asked
 * for by an upstream is cut to `retryAfterMs`.
 */
export const limitsSchema = strictObject({
  /** Largest non-streaming response body: bytes, or a size like `'32mb'` (default 32 MiB). */
  responseBytes: byteSize().optional(),
  /** Largest line or event of a stream, counted in characters (default 1 MiB). */
  eventBytes: byteSize().optional(),
  /** Most stream data held before the first content token (default 1 MiB). */
  preTokenBytes: byteSize().optional(),
  /** Longest wait an upstream may ask for (`Retry-After`, `retry-after-ms`); longer is cut to it (default 1 h). */
  retryAfterMs: positiveInt().optional(),
});
/** Requests and tokens per minute (each optional: unlimited). */
export const rateLimitSchema = strictObject(
  {
    /** Requests per minute. */
    rpm: positiveInt().optional(),
    /** Tokens per minute: the estimate of each call (prompt + `max_tokens`), corrected from `usage`. */
    tpm: positiveInt().optional(),
  },
  'an object { rpm, tpm } of requests and tokens per minute',
);

/** A provider's limits: its own, and those of each of its keys. */
export const providerRateLimitSchema = strictObject(
  {
    /** Requests per minute to the whole provider. */
    rpm: positiveInt().optional(),
    /** Tokens per minute to the whole provider. */
    tpm: positiveInt().optional(),
    /** Limits of each key of the provider. */
    perKey: rateLimitSchema.optional(),
  },
  'an object { rpm, tpm, perKey }',
);

/** A region name, e.g. `eu-west`. */
export const regionSchema = nonEmptyString('a region name');

/** An undici `Dispatcher`: anything with `dispatch()` and `request()`. Parsing returns the object itself. */
export const dispatcherSchema = z.custom<Dispatcher>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { dispatch?: unknown }).dispatch === 'function' &&
    typeof (value as { request?: unknown }).request === 'function',
  { error: (issue) => expected('an undici Dispatcher (Agent, ProxyAgent, Pool...)', issue.input) },
);

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** One PEM certificate (or a bundle of them), as a string. */
const certificateSchema = z
  .string({ error: (issue) => expectedType('a PEM certificate string', issue.input) })
  .refine((pem) => PEM_CERTIFICATE.test(pem), {
    error: 'must be a PEM certificate ("-----BEGIN CERTIFICATE-----...")',
  });

/** Extra trusted certificates: one PEM string or a non-empty array of them. */
export const caSchema = z.union(
  [certificateSchema, z.array(certificateSchema).min(1, { error: 'must not be an empty array' })],
  { error: (issue) => expectedType('a PEM certificate string or an array of them', issue.input) },
);

/** One provider. */
export const providerSchema = strictObject(
  {
    /** Unique id, used in deployment ids (`openai/gpt-4.1`), reports and metrics. */
    id: providerIdSchema,
    /** Base URL of the API, e.g. `https://api.openai.com/v1`. */
    baseUrl: baseUrlSchema,
    /** One key, or several used in turn (each cools down on its own after a 429 or 401). */
    apiKey: apiKeySchema.optional(),
    /**
     * Wire protocol (default `openai`): `openai` (chat completions: OpenAI and every compatible
     * API), `anthropic` (the Messages API) or `gemini` (Google's generateContent). Callers always
     * speak chat completions; each attempt is translated to its provider's protocol and back.
     */
    protocol: oneOf(PROTOCOLS).optional(),
    /**
     * `openai` protocol: ask for usage in streams with `stream_options.include_usage` (default
     * true). Set false for a compatible server that rejects unknown fields; its streams then carry
     * no usage.
     */
    streamUsage: z.boolean({ error: (issue) => expectedType('a boolean', issue.input) }).optional(),
    /** Extra headers sent on every request (e.g. `OpenAI-Organization`, `anthropic-beta`). */
    headers: headersSchema.optional(),
    /** Per-attempt timeout for non-streaming calls (default 30 000 ms). */
    timeoutMs: positiveInt(MAX_PROVIDER_TIMEOUT_MS).optional(),
    /** Most requests in flight to this provider at once (default 64). */
    maxConcurrent: positiveInt().optional(),
    /** This provider's bounds, over the config's `limits`. */
    limits: limitsSchema.optional(),
    /** Client-side limits of the whole provider, and of each of its keys (`perKey`). */
    rateLimit: providerRateLimitSchema.optional(),
    /** Region of its deployments, unless a deployment names its own. */
    region: regionSchema.optional(),
    /**
     * How to reach this provider: an undici `Dispatcher` (a `ProxyAgent`, an `Agent` with TLS
     * options...) that the app owns and closes. Default: the config's `dispatcher`, else a
     * keep-alive pool of the client's own (through the proxy of the environment, if one is set).
     */
    dispatcher: dispatcherSchema.optional(),
    /**
     * Certificates (PEM) trusted for this provider on top of Node's own, e.g. a private gateway's
     * or a TLS-inspecting proxy's. Not with a `dispatcher` (give them to the dispatcher instead).
     */
    ca: caSchema.optional(),
  },
  'a provider object',
);

/** Prices in USD per million tokens. */
export const priceSchema = strictObject(
  {
    /** USD per million input (prompt) tokens. */
    input: nonNegativeNumber(),
    /** USD per million output (completion) tokens. */
    output: nonNegativeNumber(),
  },
  'an object { input, output } of USD per million tokens',
);

/** One deployment of a model group. */
export const deploymentSchema = strictObject(
  {
    /** Id of the provider that serves it. */
    provider: nonEmptyString('the id of a configured provider'),
    /** The model name as that provider knows it. */
    model: nonEmptyString(),
    /** Relative weight for the `weighted` strategy (default 1). */
    weight: positiveNumber().optional(),
    /** Lower is tried first by the `priority` strategy (default: the order written). */
    priority: nonNegativeInt().optional(),
    /** Prices in USD per million tokens, for the cost in reports and metrics. */
    price: priceSchema.optional(),
    /** Latency above which this deployment counts as degraded (default: health.degradedLatencyMs). */
    degradedLatencyMs: positiveNumber().optional(),
    /** Client-side limits of this deployment. */
    rateLimit: rateLimitSchema.optional(),
    /** Where it runs (e.g. `eu-west`); a preferred region's deployments are tried first. */
    region: regionSchema.optional(),
  },
  'a deployment object',
);

/** A share of calls, in percent. */
const percentSchema = numberBetween(0, 100);

/** When a canary rolls itself back (defaults: 5 %, 5 000 ms, 60 000 ms, 20 calls). */
export const canaryRollbackOptionsSchema = strictObject({
  /** Share of failed calls (0..1) above which it rolls back. */
  errorRate: numberBetween(0, 1).optional(),
  /** p99 latency (ms) above which it rolls back. */
  p99Ms: positiveInt().optional(),
  /** Sliding window the rules look at. */
  windowMs: positiveInt().optional(),
  /** Calls the window must hold before a rule may fire. */
  minCalls: positiveInt().optional(),
});

/** The rollback rules, or `false`: never rolls back by itself. */
export const canaryRollbackSchema = z.union([z.literal(false), canaryRollbackOptionsSchema]);

/** A candidate deployment that gets a share of a group's calls first, and rolls back when it goes bad. */
export const canarySchema = strictObject(
  {
    /** The candidate; it must not be one of the group's deployments already. */
    deployment: deploymentSchema,
    /** Share of calls (0..100) that try the canary first. */
    percent: percentSchema,
    /** When it rolls itself back to 0 %; `false`: never by itself. */
    rollback: canaryRollbackSchema.optional(),
  },
  'an object { deployment, percent, rollback }',
);

/** A deployment that receives a copy of a sample of a group's calls, for comparison only. */
export const shadowSchema = strictObject(
  {
    /** The shadow; it answers no caller. */
    deployment: deploymentSchema,
    /** Share of calls (0..100) mirrored. */
    percent: percentSchema,
    /** Shadow calls in flight at most; a sampled call over it is not mirrored (default 4). */
    maxConcurrent: positiveInt(1000).optional(),
    /** Timeout of a shadow call (default: its provider's `timeoutMs`). */
    timeoutMs: positiveInt(MAX_PROVIDER_TIMEOUT_MS).optional(),
  },
  'an object { deployment, percent, maxConcurrent, timeoutMs }',
);

/**
 * Hedged requests: when the first attempt has not answered (a stream: its first token) within a
 * delay, the next candidate is started in parallel; the first good answer wins and the other
 * attempt is cancelled. A fixed delay, a latency percentile, or both (the delay until enough
 * latencies are known).
 */
export const hedgeSchema = strictObject({
  /** Fixed delay before a hedge starts; with `percentile`, the delay while fewer than 20 latencies are known. */
  afterMs: nonNegativeInt().optional(),
  /** Adaptive delay: this percentile (e.g. 95) of the deployment's recent latencies. */
  percentile: numberField('a number greater than 0 and below 100', (n) => n > 0 && n < 100).optional(),
  /** Most hedges one call may start (default 1). */
  maxHedges: intBetween(1, 5).optional(),
}).refine((hedge) => hedge.afterMs !== undefined || hedge.percentile !== undefined, {
  error: 'must set afterMs or percentile',
});

/** One model group. */
export const modelGroupSchema = strictObject(
  {
    /** The deployments that can answer for this group. */
    deployments: arrayOf(deploymentSchema, 'a non-empty array of deployments').min(1, {
      error: 'must list at least one deployment',
    }),
    /** How to order this group's deployments (default `priority`). */
    strategy: oneOf(ROUTING_STRATEGIES).optional(),
    /** Groups tried, in order, after every deployment of this one has failed. Not transitive. */
    fallbacks: arrayOf(
      nonEmptyString('the name of a model group'),
      'an array of model group names',
    ).optional(),
    /** Group to move to when a provider says the prompt is longer than the model's context. */
    contextFallback: nonEmptyString('the name of a model group').optional(),
    /** A canary deployment that takes a share of the calls first and rolls itself back. */
    canary: canarySchema.optional(),
    /** A shadow deployment that gets a copy of a sample of the calls, for comparison. */
    shadow: shadowSchema.optional(),
    /** Hedged requests for this group (off by default: a hedge may pay for two answers). */
    hedge: hedgeSchema.optional(),
  },
  'a model group object',
);

/** Model groups by name. */
export const modelsSchema = z
  .record(
    z.string().refine((name) => name.length > 0, { error: 'a model group name must not be empty' }),
    modelGroupSchema,
    {
      error: (issue) => expected('an object of model groups by name', issue.input),
    },
  )
  .refine((groups) => Object.keys(groups).length > 0, { error: 'must define at least one model group' });

/** Backoff between retries; `maxMs` must not be below `baseMs` (defaults included). */
export const backoffSchema = strictObject({
  /** First backoff step (default 200 ms); exponential with full jitter. */
  baseMs: nonNegativeInt().optional(),
  /** Cap on one backoff (default 2 000 ms). */
  maxMs: nonNegativeInt().optional(),
}).superRefine((backoff, ctx) => {
  const baseMs = backoff.baseMs ?? DEFAULTS.policy.backoff.baseMs;
  const maxMs = backoff.maxMs ?? DEFAULTS.policy.backoff.maxMs;
  if (maxMs >= baseMs) return;
  if (backoff.maxMs !== undefined) {
    const base = backoff.baseMs === undefined ? `the default baseMs (${baseMs})` : `baseMs (${baseMs})`;
    ctx.addIssue({ code: 'custom', path: ['maxMs'], message: `must be at least ${base}, got ${maxMs}` });
  } else {
    ctx.addIssue({
      code: 'custom',
      path: ['baseMs'],
      message: `must be at most the default maxMs (${maxMs}), got ${baseMs}; set maxMs too`,
    });
  }
});

/** Circuit breaker settings. */
export const breakerSchema = strictObject({
  /** Failure percentage in the rolling window that opens the breaker (default 50). */
  errorThresholdPercentage: numberBetween(1, 100).optional(),
  /** Calls in the window before the breaker may open (default 5). */
  volumeThreshold: nonNegativeInt().optional(),
  /**
   * Time open before one probe call is let through (default 30 000 ms; at most 2 147 483 647, the
   * longest a Node.js timer waits).
   */
  resetTimeoutMs: nonNegativeInt(MAX_TIMER_MS).optional(),
  /** Length of the rolling window (default 10 000 ms). */
  rollingWindowMs: nonNegativeInt().optional(),
  /**
   * Failures in a row that open the breaker at once, whatever the window holds (default 5; 0 turns
   * it off). After a long healthy stretch the percentage alone would take many failures to trip.
   */
  consecutiveFailures: nonNegativeInt().optional(),
});

/** Streaming timeouts. */
export const streamTimeoutsSchema = strictObject({
  /** Time to the response headers (default 10 000 ms). */
  headersTimeoutMs: nonNegativeInt().optional(),
  /** Time from the request to the first content token (default 15 000 ms). */
  firstTokenTimeoutMs: nonNegativeInt().optional(),
  /** Longest silence between two chunks (default 30 000 ms). */
  idleTimeoutMs: nonNegativeInt().optional(),
});

/** Retry, cooldown, deadline, breaker and stream policy. */
export const policySchema = strictObject({
  /** Extra attempts on the same deployment for a transient failure (default 1). */
  retries: intBetween(0, 10).optional(),
  /** Backoff between retries. */
  backoff: backoffSchema.optional(),
  /** A 429's `Retry-After` up to this is waited out on the same deployment; longer fails over (default 3 000 ms). */
  maxRetryAfterMs: nonNegativeInt().optional(),
  /** Cooldown of a key rejected with 401/403 (default 60 000 ms). */
  authCooldownMs: nonNegativeInt().optional(),
  /** Cooldown of a key after a 429 that names no Retry-After (default 5 000 ms). */
  rateLimitCooldownMs: nonNegativeInt().optional(),
  /** Whole-request budget: retries, fallbacks and waits included (default 60 000 ms). */
  deadlineMs: nonNegativeInt().optional(),
  /** No attempt starts with less than this left of the deadline (default 100 ms). */
  minAttemptMs: nonNegativeInt().optional(),
  /**
   * When no deployment can take a call now (cooling down, breaker open, out of its rate-limit
   * budget), wait for the first one due back only if it is due within this (and the deadline);
   * otherwise fail at once with `Retry-After`: a 429 when rate limits are all that stand in the
   * way, a 503 otherwise (default 3 000 ms).
   */
  maxWaitMs: nonNegativeInt().optional(),
  /** Stop before a provider's quota runs out, as its `x-ratelimit-*` headers tell (default true). */
  learnRateLimits: z.boolean({ error: (issue) => expected('true or false', issue.input) }).optional(),
  /** The circuit breaker of each deployment. */
  breaker: breakerSchema.optional(),
  /** The clocks of a streaming call. */
  stream: streamTimeoutsSchema.optional(),
});

/** Weights of the health score; they must not both be 0. */
export const scoreWeightsSchema = strictObject(
  {
    /** Weight of the success rate. */
    success: nonNegativeNumber(),
    /** Weight of the latency score. */
    latency: nonNegativeNumber(),
  },
  'an object { success, latency }',
).refine((weights) => weights.success + weights.latency > 0, {
  error: 'must not all be 0 (they are scaled to sum to 1)',
});

/** Health tracking settings. */
export const healthSchema = strictObject({
  /** Outcomes kept per deployment for success rate and percentiles (default 100). */
  windowSize: positiveInt().optional(),
  /** Weight of the newest sample in the latency EWMA (default 0.3). */
  ewmaAlpha: numberField('a number greater than 0 and at most 1', (n) => n > 0 && n <= 1).optional(),
  /** Default latency above which a deployment is degraded (default 2 000 ms). */
  degradedLatencyMs: positiveNumber().optional(),
  /** Consecutive failures that make a deployment unhealthy (default 3). */
  unhealthyAfter: positiveInt().optional(),
  /** Success rate below which a deployment is degraded (default 0.9). */
  degradedSuccessRate: numberBetween(0, 1).optional(),
  /** Weights of the health score (default success 0.7, latency 0.3). */
  scoreWeights: scoreWeightsSchema.optional(),
});

/** Settings of the active health probes. */
export const probesOptionsSchema = strictObject({
  /** Time between two probes of one provider (or deployment) (default 30 000 ms). */
  intervalMs: positiveInt().optional(),
  /** Timeout of one probe (default 5 000 ms). */
  timeoutMs: positiveInt().optional(),
  /** Random spread of the interval, as a fraction of it (default 0.1). */
  jitter: numberBetween(0, 1).optional(),
  /** `models`: a cheap `GET /models` per provider; `completion`: a one-token completion per deployment (default `models`). */
  mode: oneOf(['models', 'completion'] as const).optional(),
});

/** Active health probes: on with `true` or settings. */
export const probesSchema = z.union([z.boolean(), probesOptionsSchema]);

const liveObject = (what: string) =>
  z.custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    error: (issue) => expected(what, issue.input),
  });

/** Settings of the Prometheus metrics. */
export const metricsOptionsSchema = strictObject({
  /** A prom-client `Registry` to put the metrics on (default: a new one). */
  registry: liveObject('a prom-client Registry').optional(),
  /** Metric name prefix (default `ai_`). */
  prefix: metricPrefix().optional(),
});

/** Prometheus metrics: on with `true` or settings. */
export const metricsSchema = z.union([z.boolean(), metricsOptionsSchema]);

/** Settings of the OpenTelemetry tracing. */
export const tracingOptionsSchema = strictObject({
  /** An OpenTelemetry `Tracer` (default: `trace.getTracer('ai-failover')`). */
  tracer: liveObject('an OpenTelemetry Tracer').optional(),
});

/** OpenTelemetry tracing: on with `true` or settings. */
export const tracingSchema = z.union([z.boolean(), tracingOptionsSchema]);

/**
 * A logger: any object (extra members allowed) whose `debug`/`info`/`warn`/`error`, when present,
 * are functions. Parsing returns the object itself.
 */
export const loggerSchema = z
  .custom<Logger>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    abort: true,
    error: (issue) => expected('an object with debug/info/warn/error methods', issue.input),
  })
  .superRefine((logger, ctx) => {
    for (const method of LOGGER_METHODS) {
      const member: unknown = Reflect.get(logger, method);
      if (member !== undefined && typeof member !== 'function') {
        ctx.addIssue({ code: 'custom', path: [method], message: expected('a function', member) });
      }
    }
  });

/** Environment variables that override the config (see `config/env.ts`). */
export const fromEnvSchema = z.union([
  z.boolean(),
  strictObject({
    /** Prefix of the variables (default `AI_FAILOVER_`). */
    prefix: z
      .string({ error: (issue) => expected('a string', issue.input) })
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be letters, digits and "_", e.g. "AI_FAILOVER_"' })
      .optional(),
  }),
]);

/** The whole user configuration. */
export const configSchema = strictObject({
  /** The upstream APIs, each with its credentials and limits. */
  providers: arrayOf(providerSchema, 'a non-empty array of providers').min(1, {
    error: 'must list at least one provider',
  }),
  /** Model groups by the name the app asks for (`gpt-4.1`, or an alias like `smart`). */
  models: modelsSchema,
  /** Group used when a call names no model (default: the first group written). */
  defaultModel: nonEmptyString('the name of a model group').optional(),
  /** The region this app prefers: its deployments are tried before any other's. */
  region: regionSchema.optional(),
  /**
   * Read settings from environment variables: `true` for the prefix `AI_FAILOVER_`, or
   * `{ prefix }`. A variable that is set overrides the config (see `config/env.ts` for the table).
   */
  fromEnv: fromEnvSchema.optional(),
  /** Retries, cooldowns, deadline, breaker and stream clocks. */
  policy: policySchema.optional(),
  /** Bounds on what an upstream response may make the client hold, for every provider. */
  limits: limitsSchema.optional(),
  /** How health is measured. */
  health: healthSchema.optional(),
  /** Active health probes in the background (off by default). */
  probes: probesSchema.optional(),
  /** Prometheus metrics through `prom-client`, an optional peer dependency (off by default). */
  metrics: metricsSchema.optional(),
  /** OpenTelemetry spans through `@opentelemetry/api`, when installed (off by default). */
  tracing: tracingSchema.optional(),
  /** A structured logger; it never receives an API key. */
  logger: loggerSchema.optional(),
  /** The undici `Dispatcher` of every provider without a `dispatcher` of its own; the app owns it. */
  dispatcher: dispatcherSchema.optional(),
  /**
   * Reach providers through the proxy named by `HTTPS_PROXY` / `HTTP_PROXY` (or their lower-case
   * forms), except the hosts `NO_PROXY` lists, read once at start-up (default `true`). `false`
   * connects directly whatever the environment says. A provider with a dispatcher ignores them.
   */
  proxyFromEnv: z.boolean({ error: (issue) => expected('true or false', issue.input) }).optional(),
});

/** A configuration accepted by {@link configSchema}. */
export type ParsedConfig = z.output<typeof configSchema>;
/** One provider accepted by {@link providerSchema}. */
export type ParsedProvider = z.output<typeof providerSchema>;
/** One model group accepted by {@link modelGroupSchema}. */
export type ParsedModelGroup = z.output<typeof modelGroupSchema>;
/** An `apiKey` value accepted by {@link apiKeySchema}. */
export type ParsedApiKey = z.output<typeof apiKeySchema>;
