/** Injection tokens and metadata keys of `@ai-failover/nestjs`. */

/** Injection token of the `AiClient` the module provides. */
export const AI_FAILOVER_CLIENT: unique symbol = Symbol('AI_FAILOVER_CLIENT');

/**
 * Injection token of what `forRoot` was given, or what the `forRootAsync` factory returned: an
 * `AiFailoverConfig`, or `{ client }` for a client the app built itself.
 */
export const AI_FAILOVER_OPTIONS: unique symbol = Symbol('AI_FAILOVER_OPTIONS');

/** The client and whether the module created it (and so must close it). */
export const AI_FAILOVER_CLIENT_HANDLE: unique symbol = Symbol('AI_FAILOVER_CLIENT_HANDLE');

/** Metadata key written by `@UseModel()`. */
export const USE_MODEL_METADATA: unique symbol = Symbol('ai-failover:use-model');

/** Default path of the health controller. */
export const DEFAULT_HEALTH_PATH = 'health';

/** The module's `openai`, `dashboard` and `metrics` options, as given. */
export const AI_FAILOVER_HTTP_OPTIONS: unique symbol = Symbol('AI_FAILOVER_HTTP_OPTIONS');

/**
 * Injection token of the core HTTP handler (`AiHttpHandler`) that serves the module's
 * OpenAI-compatible routes, dashboard and `/metrics`, or `null` when none of them is on.
 */
export const AI_FAILOVER_HTTP_HANDLER: unique symbol = Symbol('AI_FAILOVER_HTTP_HANDLER');

/** The module's `drainMs` option: how long calls in flight may finish when the app shuts down. */
export const AI_FAILOVER_DRAIN_MS: unique symbol = Symbol('AI_FAILOVER_DRAIN_MS');
