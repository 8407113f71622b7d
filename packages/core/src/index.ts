export { type AiCaller, AiClient, createAiClient } from './client';
export { DEFAULTS, resolveConfig } from './config';
export { costOf, type UsageReport, type UsageTotals } from './cost';
export * from './dashboard';
export { ChatStream } from './engine/stream';
export * from './errors';
export type {
  AiFailoverEvents,
  AttemptEvent,
  BreakerEvent,
  Disposer,
  EventName,
  FailoverEvent,
  HealthChangeEvent,
  Listener,
  RequestErrorEvent,
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
export * from './http';
export type { MetricsRegistry, PrometheusMetrics } from './metrics/public';
export type * from './types';
