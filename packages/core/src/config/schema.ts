/**
 * Zod schemas of the configuration a user writes (`AiFailoverConfig`). They check the shape and
 * every value on its own; references between parts (a deployment's provider, a group's fallbacks)
 * and environment variables are checked by `resolveConfig`.
 */
import { z } from 'zod';
import type { Logger, RoutingStrategyName } from '../types';
import { DEFAULTS } from './defaults';
import {
  arrayOf,
  byteSize,
  intBetween,
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
] as const satisfies readonly RoutingStrategyName[];

/** Longest per-attempt timeout a provider may set (10 minutes). */
export const MAX_PROVIDER_TIMEOUT_MS = 600_000;

const PROVIDER_ID = /^[A-Za-z0-9._-]+$/;
/** An HTTP header name (an RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
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

/** Bounds on what one upstream response may make the client hold: bytes buffered, time waited. */
export const limitsSchema = strictObject({
  responseBytes: byteSize().optional(),
  eventBytes: byteSize().optional(),
  preTokenBytes: byteSize().optional(),
  retryAfterMs: positiveInt().optional(),
});

/** One provider. */
export const providerSchema = strictObject(
  {
    id: providerIdSchema,
    baseUrl: baseUrlSchema,
    apiKey: apiKeySchema.optional(),
    protocol: oneOf(['openai']).optional(),
    headers: headersSchema.optional(),
    timeoutMs: positiveInt(MAX_PROVIDER_TIMEOUT_MS).optional(),
    maxConcurrent: positiveInt().optional(),
    limits: limitsSchema.optional(),
  },
  'a provider object',
);

/** Prices in USD per million tokens. */
export const priceSchema = strictObject(
  { input: nonNegativeNumber(), output: nonNegativeNumber() },
  'an object { input, output } of USD per million tokens',
);

/** One deployment of a model group. */
export const deploymentSchema = strictObject(
  {
    provider: nonEmptyString('the id of a configured provider'),
    model: nonEmptyString(),
    weight: positiveNumber().optional(),
    priority: nonNegativeInt().optional(),
    price: priceSchema.optional(),
    degradedLatencyMs: positiveNumber().optional(),
  },
  'a deployment object',
);

/** One model group. */
export const modelGroupSchema = strictObject(
  {
    deployments: arrayOf(deploymentSchema, 'a non-empty array of deployments').min(1, {
      error: 'must list at least one deployment',
    }),
    strategy: oneOf(ROUTING_STRATEGIES).optional(),
    fallbacks: arrayOf(
      nonEmptyString('the name of a model group'),
      'an array of model group names',
    ).optional(),
    contextFallback: nonEmptyString('the name of a model group').optional(),
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
  baseMs: nonNegativeInt().optional(),
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
  errorThresholdPercentage: numberBetween(1, 100).optional(),
  volumeThreshold: nonNegativeInt().optional(),
  resetTimeoutMs: nonNegativeInt().optional(),
  rollingWindowMs: nonNegativeInt().optional(),
  consecutiveFailures: nonNegativeInt().optional(),
});

/** Streaming timeouts. */
export const streamTimeoutsSchema = strictObject({
  headersTimeoutMs: nonNegativeInt().optional(),
  firstTokenTimeoutMs: nonNegativeInt().optional(),
  idleTimeoutMs: nonNegativeInt().optional(),
});

/** Retry, cooldown, deadline, breaker and stream policy. */
export const policySchema = strictObject({
  retries: intBetween(0, 10).optional(),
  backoff: backoffSchema.optional(),
  maxRetryAfterMs: nonNegativeInt().optional(),
  authCooldownMs: nonNegativeInt().optional(),
  rateLimitCooldownMs: nonNegativeInt().optional(),
  deadlineMs: nonNegativeInt().optional(),
  minAttemptMs: nonNegativeInt().optional(),
  breaker: breakerSchema.optional(),
  stream: streamTimeoutsSchema.optional(),
});

/** Weights of the health score; they must not both be 0. */
export const scoreWeightsSchema = strictObject(
  { success: nonNegativeNumber(), latency: nonNegativeNumber() },
  'an object { success, latency }',
).refine((weights) => weights.success + weights.latency > 0, {
  error: 'must not all be 0 (they are scaled to sum to 1)',
});

/** Health tracking settings. */
export const healthSchema = strictObject({
  windowSize: positiveInt().optional(),
  ewmaAlpha: numberField('a number greater than 0 and at most 1', (n) => n > 0 && n <= 1).optional(),
  degradedLatencyMs: positiveNumber().optional(),
  unhealthyAfter: positiveInt().optional(),
  degradedSuccessRate: numberBetween(0, 1).optional(),
  scoreWeights: scoreWeightsSchema.optional(),
});

/** Active health probes. */
export const probesSchema = z.union([
  z.boolean(),
  strictObject({
    intervalMs: positiveInt().optional(),
    timeoutMs: positiveInt().optional(),
    jitter: numberBetween(0, 1).optional(),
    mode: oneOf(['models', 'completion'] as const).optional(),
  }),
]);

const liveObject = (what: string) =>
  z.custom<object>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    error: (issue) => expected(what, issue.input),
  });

/** Prometheus metrics. */
export const metricsSchema = z.union([
  z.boolean(),
  strictObject({
    registry: liveObject('a prom-client Registry').optional(),
    prefix: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, {
        error: 'must be a valid Prometheus metric name prefix, e.g. "ai_"',
      })
      .optional(),
  }),
]);

/** OpenTelemetry tracing. */
export const tracingSchema = z.union([
  z.boolean(),
  strictObject({ tracer: liveObject('an OpenTelemetry Tracer').optional() }),
]);

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

/** The whole user configuration. */
export const configSchema = strictObject({
  providers: arrayOf(providerSchema, 'a non-empty array of providers').min(1, {
    error: 'must list at least one provider',
  }),
  models: modelsSchema,
  defaultModel: nonEmptyString('the name of a model group').optional(),
  policy: policySchema.optional(),
  limits: limitsSchema.optional(),
  health: healthSchema.optional(),
  probes: probesSchema.optional(),
  metrics: metricsSchema.optional(),
  tracing: tracingSchema.optional(),
  logger: loggerSchema.optional(),
});

/** A configuration accepted by {@link configSchema}. */
export type ParsedConfig = z.output<typeof configSchema>;
/** One provider accepted by {@link providerSchema}. */
export type ParsedProvider = z.output<typeof providerSchema>;
/** One model group accepted by {@link modelGroupSchema}. */
export type ParsedModelGroup = z.output<typeof modelGroupSchema>;
/** An `apiKey` value accepted by {@link apiKeySchema}. */
export type ParsedApiKey = z.output<typeof apiKeySchema>;
