/**
 * Options of the live dashboard, validated once by `createDashboard` and resolved into a new
 * frozen object. The caller's object is never changed.
 */
import type { IncomingMessage } from 'node:http';
import { describeOption, describeType } from '../config/messages';
import { didYouMean } from '../config/suggest';
import { ConfigError, type ConfigIssue } from '../errors';

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

const KEYS = ['path', 'authorize', 'intervalMs', 'title'];
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const MAX_TITLE = 200;

/**
 * Validates the options and resolves them; throws one `ConfigError` listing every problem, each
 * named by its path (`dashboard.intervalMs: must be an integer from 100 to 60000, got 5`).
 */
export function resolveDashboardOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ConfigError([
      { path: 'dashboard', message: `options must be an object, got ${describeType(options)}` },
    ]);
  }
  const source: Record<string, unknown> = { ...options };
  const issues: ConfigIssue[] = [];
  const problem = (path: string, message: string) => issues.push({ path: `dashboard.${path}`, message });

  for (const key of Object.keys(source)) {
    if (KEYS.includes(key)) continue;
    const hint = didYouMean(key, KEYS);
    problem(key, `unknown option${hint || `; known options: ${KEYS.join(', ')}`}`);
  }

  let path = DEFAULT_DASHBOARD_PATH;
  if (source.path !== undefined) {
    const value = source.path;
    if (typeof value !== 'string' || !PATH.test(value) || value.includes('//')) {
      problem('path', `must be a path starting with "/" (no query, no spaces), got ${describeOption(value)}`);
    } else path = value.length > 1 ? value.replace(/\/+$/, '') : value;
  }

  const authorize = source.authorize;
  if (authorize !== undefined && typeof authorize !== 'function') {
    problem(
      'authorize',
      `must be a function (req) => boolean | Promise<boolean>, got ${describeType(authorize)}`,
    );
  }

  let intervalMs = DEFAULT_DASHBOARD_INTERVAL_MS;
  if (source.intervalMs !== undefined) {
    const value = source.intervalMs;
    if (
      typeof value !== 'number' ||
      !Number.isInteger(value) ||
      value < MIN_DASHBOARD_INTERVAL_MS ||
      value > MAX_DASHBOARD_INTERVAL_MS
    ) {
      problem(
        'intervalMs',
        `must be an integer from ${MIN_DASHBOARD_INTERVAL_MS} to ${MAX_DASHBOARD_INTERVAL_MS} (ms), got ${describeOption(value)}`,
      );
    } else intervalMs = value;
  }

  let title = 'ai-failover';
  if (source.title !== undefined) {
    const value = source.title;
    if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_TITLE) {
      problem(
        'title',
        `must be a non-empty string of at most ${MAX_TITLE} characters, got ${describeOption(value)}`,
      );
    } else title = value;
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    path,
    authorize: authorize as ResolvedDashboardOptions['authorize'],
    intervalMs,
    title,
  });
}
