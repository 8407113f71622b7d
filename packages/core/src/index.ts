export { type AiCaller, AiClient, createAiClient } from './client';
export { DEFAULTS, resolveConfig } from './config';
export { costOf, type UsageReport, type UsageTotals } from './cost';
export * from './dashboard';
export { ChatStream } from './engine/stream';
export * from './errors';
export type * from './events';
export type {
  DeploymentHealth,
  HealthReport,
  LivenessReport,
  ModelGroupHealth,
  ProviderHealth,
  ReadinessReport,
} from './health/report';
export * from './http';
export type { PrometheusMetrics } from './metrics/prometheus';
export type {
  AttemptEndMessage,
  AttemptStartMessage,
  Operation,
  RequestEndMessage,
  RequestStartMessage,
} from './telemetry/channels';
export type * from './types';
