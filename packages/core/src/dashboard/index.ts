/**
 * The live dashboard (opt-in): a self-contained page showing health, breakers, latency, failovers
 * and cost of an `AiClient`, updated over server-sent events. Framework-agnostic: the Express, Koa
 * and NestJS adapters mount `dashboard.handle(req, res, pathname)`.
 */
export type {
  DashboardBreakerChange,
  DashboardChange,
  DashboardCounters,
  DashboardFailover,
  DashboardHealthChange,
  DashboardShadowSummary,
  DashboardSnapshot,
  DashboardState,
} from './activity';
export { createDashboard, type Dashboard, type DashboardEventName } from './dashboard';
export {
  type DashboardOptions,
  DEFAULT_DASHBOARD_INTERVAL_MS,
  DEFAULT_DASHBOARD_PATH,
} from './options';
