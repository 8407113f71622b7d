/**
 * `@ai-failover/core`: the client, its configuration, its errors and events, and the types an app
 * sees. What only framework adapters need (the HTTP layer, the dashboard handler) is in
 * `@ai-failover/core/http`.
 */
export {
  type AiCaller,
  AiClient,
  type AiClientOptions,
  type CloseOptions,
  createAiClient,
} from './client';
export type { Clock } from './clock';
export { type ConfigDefaults, DEFAULTS, resolveConfig } from './config';
export type { UsageReport, UsageTotals } from './cost';
export type { RateLimitStatus } from './engine/rate-gate';
export type { ShadowStatus } from './engine/shadow';
export { ChatStream } from './engine/stream';
export * from './errors';
export type {
  AiFailoverEvents,
  AttemptEvent,
  BreakerEvent,
  CanaryChange,
  CanaryReason,
  Disposer,
  EventName,
  FailoverEvent,
  HealthChangeEvent,
  Listener,
  RequestErrorEvent,
  ShadowComparison,
  ShadowSide,
  SuccessEvent,
} from './events';
export type {
  DeploymentHealth,
  HealthReport,
  LivenessReport,
  ModelGroupHealth,
  ProviderHealth,
  ReadinessReport,
} from './health/report';
export type { ChatSseOptions, SseEvent } from './http/chat-sse';
export type { MetricsRegistry, PrometheusMetrics } from './metrics/public';
export type { RateDecision, RateLimitStore, RateScope } from './policies/rate-limit';
export type { CanaryState, CanaryStatus } from './routing/canary';
export type {
  AttemptEndMessage,
  AttemptStartMessage,
  Operation,
  RequestEndMessage,
  RequestStartMessage,
} from './telemetry/channels';
export type * from './types/calls';
export type * from './types/config';
export type * from './types/reports';
export type * from './types/wire';
