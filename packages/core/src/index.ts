export {
  type AiCaller,
  AiClient,
  type CloseOptions,
  createAiClient,
  DEFAULT_DRAIN_MS,
} from './client';
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
export type * from './types';
