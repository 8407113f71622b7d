/**
 * Options of the live dashboard, validated once by `createDashboard` and resolved into a new
 * frozen object. The caller's object is never changed.
 */
import type { IncomingMessage } from 'node:http';
import { checked, functionField, intBetween, routePath, strictObject, trimPath } from '../config/fields';
import { parseOptions } from '../config/options';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** Where the page is served, relative to where the app mounts the handler (default `/ai-failover`). */
  path?: string;
  /**
   * Decides whether a request may see the dashboard; only `true` lets it through. `false`, a throw
   * or a rejected promise answer 401. Without it the dashboard is open to anyone who can reach it.
   */
  authorize?: (req: IncomingMessage) => boolean | Promise<boolean>;
  /** How often a snapshot is pushed to open pages, in ms (default 1 000; 100 to 60 000). */
  intervalMs?: number;
  /** Title of the page (default `ai-failover`). */
  title?: string;
}

/** Options after validation: defaults applied, path normalised, frozen. */
export interface ResolvedDashboardOptions {
  readonly path: string;
  readonly authorize: ((req: IncomingMessage) => boolean | Promise<boolean>) | undefined;
  readonly intervalMs: number;
  readonly title: string;
}

/** Default path of the dashboard. */
export const DEFAULT_DASHBOARD_PATH = '/ai-failover';
/** Default period of the snapshot push, in ms. */
export const DEFAULT_DASHBOARD_INTERVAL_MS = 1000;
/** Shortest snapshot period accepted, in ms. */
export const MIN_DASHBOARD_INTERVAL_MS = 100;
/** Longest snapshot period accepted, in ms. */
export const MAX_DASHBOARD_INTERVAL_MS = 60_000;

const MAX_TITLE = 200;

/** The dashboard's options; the dashboard route of the HTTP layer takes the same. */
export const dashboardOptionsSchema = strictObject(
  {
    path: routePath().optional(),
    authorize: functionField<(req: never) => boolean | Promise<boolean>>(
      '(req) => boolean | Promise<boolean>',
    ).optional(),
    intervalMs: intBetween(MIN_DASHBOARD_INTERVAL_MS, MAX_DASHBOARD_INTERVAL_MS).optional(),
    title: checked<string>(
      `a non-empty string of at most ${MAX_TITLE} characters`,
      (value) => typeof value === 'string' && value.trim() !== '' && value.length <= MAX_TITLE,
    ).optional(),
  },
  'an options object',
);

/**
 * Validates the options and resolves them; throws one `ConfigError` listing every problem, each
 * named by its path (`dashboard.intervalMs: must be an integer from 100 to 60000, got 5`).
 */
export function resolveDashboardOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  const given = parseOptions(dashboardOptionsSchema, options ?? {}, 'dashboard');
  return Object.freeze({
    path: given.path === undefined ? DEFAULT_DASHBOARD_PATH : trimPath(given.path),
    authorize: given.authorize as ResolvedDashboardOptions['authorize'],
    intervalMs: given.intervalMs ?? DEFAULT_DASHBOARD_INTERVAL_MS,
    title: given.title ?? 'ai-failover',
  });
}
