/**
 * The configuration an app writes. Each type is the input of its zod schema in
 * `config/schema.ts`, which is the one place a field is declared, checked and documented.
 */
import type { z } from 'zod';
import type {
  backoffSchema,
  breakerSchema,
  canaryRollbackOptionsSchema,
  canarySchema,
  configSchema,
  deploymentSchema,
  healthSchema,
  hedgeSchema,
  keySourceSchema,
  limitsSchema,
  metricsOptionsSchema,
  modelGroupSchema,
  PROTOCOLS,
  policySchema,
  priceSchema,
  probesOptionsSchema,
  providerSchema,
  ROUTING_STRATEGIES,
  rateLimitSchema,
  shadowSchema,
  streamTimeoutsSchema,
  tracingOptionsSchema,
} from '../config/schema';

/** An API key: a literal, or the name of an environment variable read once at start-up. */
export type KeySource = z.input<typeof keySourceSchema>;

/** Wire protocol of a provider: `openai`, `anthropic` (Messages API) or `gemini` (generateContent). */
export type Protocol = (typeof PROTOCOLS)[number];

/** How a model group orders its deployments. */
export type RoutingStrategyName = (typeof ROUTING_STRATEGIES)[number];

/** One upstream API endpoint with its credentials and limits. */
export interface ProviderConfig extends z.input<typeof providerSchema> {}

/** Prices of a deployment, in USD per million tokens. */
export interface PriceConfig extends z.input<typeof priceSchema> {}

/** One model on one provider. */
export interface DeploymentConfig extends z.input<typeof deploymentSchema> {}

/** Requests and tokens per minute. */
export interface RateLimitConfig extends z.input<typeof rateLimitSchema> {}

/** When a canary rolls itself back. */
export interface CanaryRollbackConfig extends z.input<typeof canaryRollbackOptionsSchema> {}

/** A candidate deployment that gets a share of a group's calls first, and rolls back when it goes bad. */
export interface CanaryConfig extends z.input<typeof canarySchema> {}

/** A deployment that receives a copy of a sample of a group's calls, for comparison only. */
export interface ShadowConfig extends z.input<typeof shadowSchema> {}

/** The deployments that answer for a name the app asks for, and what to try after them. */
export interface ModelGroupConfig extends z.input<typeof modelGroupSchema> {}

/** Hedged requests of a group or a call. */
export interface HedgeConfig extends z.input<typeof hedgeSchema> {}

/** Backoff between retries on one deployment. */
export interface BackoffConfig extends z.input<typeof backoffSchema> {}

/** The circuit breaker of each deployment. */
export interface BreakerConfig extends z.input<typeof breakerSchema> {}

/** The clocks of a streaming call. */
export interface StreamTimeoutsConfig extends z.input<typeof streamTimeoutsSchema> {}

/** Retries, cooldowns, deadline, breaker and stream clocks. */
export interface PolicyConfig extends z.input<typeof policySchema> {}

/**
 * What one upstream response may make the client hold; crossing a size limit fails the attempt
 * (a bad response), a longer wait is cut to `retryAfterMs`.
 */
export interface LimitsConfig extends z.input<typeof limitsSchema> {}

/** How health is measured. */
export interface HealthConfig extends z.input<typeof healthSchema> {}

/** Settings of the active health probes. */
export interface ProbesConfig extends z.input<typeof probesOptionsSchema> {}

/** Settings of the Prometheus metrics. */
export interface MetricsConfig extends z.input<typeof metricsOptionsSchema> {}

/** Settings of the OpenTelemetry tracing. */
export interface TracingConfig extends z.input<typeof tracingOptionsSchema> {}

/** The whole configuration of a client. */
export interface AiFailoverConfig extends z.input<typeof configSchema> {}

/** A structured logger. It never receives an API key. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}
