/**
 * Options of the HTTP layer (health, metrics and OpenAI-compatible routes, `req.ai`), validated
 * once when a middleware is created and resolved into a new frozen object. The caller's object is
 * never changed.
 */
import type { IncomingMessage } from 'node:http';
import { describeOption, describeType, isRecord } from '../config/messages';
import { closestMatch } from '../config/suggest';
import { ConfigError, type ConfigIssue } from '../errors';
import { DEFAULT_BODY_TIMEOUT_MS, parseByteSize } from './body';

/** Default largest request body the OpenAI-compatible routes read: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** Default name of the response header that carries the decision trace. */
export const DEFAULT_TRACE_HEADER = 'x-ai-failover-trace';

/**
 * Health routes: `{path}`, `{path}/live`, `{path}/ready`. They answer everyone with the status
 * only (and the status code a probe needs); the whole report (deployments, providers, errors) only
 * to a request `authorize` accepts.
 */
export interface HealthRouteOptions<S = IncomingMessage> {
  /** Base path (default `/health`). */
  path?: string;
  /** Who sees the detailed report (receives the framework's request or context); only `true` does. */
  authorize?: (subject: S) => boolean | Promise<boolean>;
}

/** The Prometheus route, served when the client has metrics on. */
export interface MetricsRouteOptions {
  /** Path (default `/metrics`). */
  path?: string;
}

/**
 * OpenAI-compatible routes: `POST {path}/chat/completions`, `POST {path}/embeddings`,
 * `GET {path}/models`. `S` is what `authorize` receives (the framework's request or context).
 */
export interface OpenAiRouteOptions<S = IncomingMessage> {
  /** Path prefix (default `/v1`). */
  path?: string;
  /**
   * Decides whether a request may use the routes; only `true` lets it through (`false` → 401).
   * A function that throws answers 500 without showing its message. Required.
   */
  authorize: (subject: S) => boolean | Promise<boolean>;
  /** Largest request body: bytes, or a size like `'512kb'`, `'1mb'` (default 1 MiB). */
  bodyLimit?: number | string;
  /** Longest time a request body may take to arrive, in ms (default 30 000); slower gets a 408. */
  bodyTimeoutMs?: number;
  /** Model groups the routes expose (default: every configured group). */
  models?: readonly string[];
}

/** How a request picks its affinity key (consistent hashing): a header name, or a function. */
export type AffinityKeyOption<S = IncomingMessage> = string | ((subject: S) => string | undefined);

/** Options of the HTTP layer, shared by every framework adapter. */
export interface AiHttpRouteOptions<S = IncomingMessage> {
  /** Health routes, on by default (status only, details behind `authorize`); `false` turns them off. */
  health?: HealthRouteOptions<S> | boolean;
  /** Metrics route, on by default when the client has metrics; `false` turns it off. */
  metrics?: MetricsRouteOptions | boolean;
  /** OpenAI-compatible routes, off unless given (they need `authorize`). */
  openai?: OpenAiRouteOptions<S> | false;
  /** Affinity key of each request: a header name, or a function of the request. */
  affinityKey?: AffinityKeyOption<S>;
  /** Response header carrying the decision trace (default `x-ai-failover-trace`). */
  traceHeader?: string;
  /** The live dashboard page, off unless given (`true`: at `/ai-failover`, unprotected). */
  dashboard?: DashboardRouteOptions<S> | boolean;
}

/** The live dashboard page. */
export interface DashboardRouteOptions<S = IncomingMessage> {
  /** Path of the page (default `/ai-failover`); its data streams from `{path}/events`. */
  path?: string;
  /** Who may see it (receives the framework's request or context); anything but `true` gets a 401. */
  authorize?: (subject: S) => boolean | Promise<boolean>;
  /** Period of the live snapshots (default 1 000 ms). */
  intervalMs?: number;
  /** Page title. */
  title?: string;
}

/** Dashboard options after resolution. */
export interface ResolvedDashboardRoutes<S> {
  readonly path: string;
  readonly authorize: ((subject: S) => boolean | Promise<boolean>) | undefined;
  readonly intervalMs: number | undefined;
  readonly title: string | undefined;
}

/** Health routes after resolution. */
export interface ResolvedHealthRoutes<S = IncomingMessage> {
  readonly path: string;
  readonly live: string;
  readonly ready: string;
  /** Who sees the detailed report; `undefined`: nobody, over HTTP. */
  readonly authorize: ((subject: S) => boolean | Promise<boolean>) | undefined;
}

/** OpenAI-compatible routes after resolution. */
export interface ResolvedOpenAiRoutes<S> {
  readonly path: string;
  readonly chat: string;
  readonly embeddings: string;
  readonly models: string;
  readonly authorize: (subject: S) => boolean | Promise<boolean>;
  readonly bodyLimit: number;
  readonly bodyTimeoutMs: number;
  /** Exposed model groups; `undefined` exposes every group. */
  readonly exposed: ReadonlySet<string> | undefined;
}

/** Options after validation: defaults applied, paths normalised, frozen. */
export interface ResolvedHttpOptions<S = IncomingMessage> {
  readonly health: ResolvedHealthRoutes<S> | false;
  readonly metrics: { readonly path: string } | false;
  readonly openai: ResolvedOpenAiRoutes<S> | false;
  /** Reads the affinity key of a request, or `undefined` when none is configured. */
  readonly affinityKey: ((subject: S, req: IncomingMessage) => string | undefined) | undefined;
  readonly traceHeader: string;
  readonly dashboard: ResolvedDashboardRoutes<S> | false;
}

/** Where the options come from, for error messages (`express`, `koa`...). */
export interface ResolveContext {
  /** Prefix of every option path in error messages, e.g. `express`. */
  readonly name: string;
  /** Model groups of the client, to check `openai.models`. */
  readonly models: readonly string[];
}

const TOP_KEYS = ['health', 'metrics', 'openai', 'affinityKey', 'traceHeader', 'dashboard'];
const DASHBOARD_KEYS = ['path', 'authorize', 'intervalMs', 'title'];
const PATH_KEYS = ['path'];
const HEALTH_KEYS = ['path', 'authorize'];
const OPENAI_KEYS = ['path', 'authorize', 'bodyLimit', 'bodyTimeoutMs', 'models'];
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/**
 * Validates the options and resolves them; throws one `ConfigError` listing every problem, each
 * named by its path (`express.openai.authorize: must be a function, got undefined`).
 */
export function resolveHttpOptions<S = IncomingMessage>(
  options: AiHttpRouteOptions<S> | undefined,
  context: ResolveContext,
): ResolvedHttpOptions<S> {
  const issues: ConfigIssue[] = [];
  const at = (path: string) => `${context.name}.${path}`;
  const problem = (path: string, message: string) => issues.push({ path: at(path), message });

  if (options !== undefined && !isRecord(options)) {
    throw new ConfigError([
      { path: context.name, message: `options must be an object, got ${describeType(options)}` },
    ]);
  }
  const source: Record<string, unknown> = options ?? {};
  unknownKeys(source, TOP_KEYS, '', problem);

  const health = routeBase(source.health, 'health', '/health', problem, HEALTH_KEYS);
  let healthAuthorize: ResolvedHealthRoutes<S>['authorize'];
  if (isRecord(source.health) && source.health.authorize !== undefined) {
    if (typeof source.health.authorize !== 'function') {
      problem(
        'health.authorize',
        `must be a function (req) => boolean | Promise<boolean>, got ${describeType(source.health.authorize)}`,
      );
    } else healthAuthorize = source.health.authorize as ResolvedHealthRoutes<S>['authorize'];
  }
  const metrics = routeBase(source.metrics, 'metrics', '/metrics', problem);
  const openai = resolveOpenAi(source.openai, context.models, problem);

  let affinityKey: ResolvedHttpOptions<S>['affinityKey'];
  const affinity = source.affinityKey;
  if (typeof affinity === 'function') {
    const read = affinity as (subject: S) => unknown;
    affinityKey = (subject) => {
      const value = read(subject);
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
  } else if (typeof affinity === 'string') {
    if (!TOKEN.test(affinity))
      problem('affinityKey', `must be a header name or a function, got "${affinity}"`);
    const header = affinity.toLowerCase();
    affinityKey = (_subject, req) => headerValue(req, header);
  } else if (affinity !== undefined) {
    problem('affinityKey', `must be a header name or a function, got ${describeType(affinity)}`);
  }

  let traceHeader = DEFAULT_TRACE_HEADER;
  if (source.traceHeader !== undefined) {
    if (typeof source.traceHeader !== 'string' || !TOKEN.test(source.traceHeader)) {
      problem('traceHeader', `must be a header name, got ${describeOption(source.traceHeader)}`);
    } else traceHeader = source.traceHeader.toLowerCase();
  }

  const dashboard = resolveDashboard<S>(source.dashboard, problem);

  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze({
    dashboard,
    health:
      health === false
        ? false
        : Object.freeze({
            path: health,
            live: join(health, '/live'),
            ready: join(health, '/ready'),
            authorize: healthAuthorize,
          }),
    metrics: metrics === false ? false : Object.freeze({ path: metrics }),
    openai: openai === false ? false : Object.freeze(openai as ResolvedOpenAiRoutes<S>),
    affinityKey,
    traceHeader,
  });
}

type Problem = (path: string, message: string) => void;

function resolveDashboard<S>(value: unknown, problem: Problem): ResolvedDashboardRoutes<S> | false {
  if (value === undefined || value === false) return false;
  const given = value === true ? {} : value;
  if (!isRecord(given)) {
    problem(
      'dashboard',
      `must be true, false or an object ({ path, authorize }), got ${describeType(given)}`,
    );
    return false;
  }
  unknownKeys(given, DASHBOARD_KEYS, 'dashboard.', problem);
  const path = given.path === undefined ? '/ai-failover' : routePath(given.path, 'dashboard.path', problem);
  if (given.authorize !== undefined && typeof given.authorize !== 'function') {
    problem(
      'dashboard.authorize',
      `must be a function (req) => boolean | Promise<boolean>, got ${describeType(given.authorize)}`,
    );
  }
  return Object.freeze({
    path: path ?? '/ai-failover',
    authorize: given.authorize as ResolvedDashboardRoutes<S>['authorize'],
    intervalMs: given.intervalMs as number | undefined,
    title: given.title as string | undefined,
  });
}

function routeBase(
  value: unknown,
  name: string,
  fallback: string,
  problem: Problem,
  keys: string[] = PATH_KEYS,
): string | false {
  if (value === false) return false;
  if (value === undefined || value === true) return fallback;
  if (!isRecord(value)) {
    problem(name, `must be an object ({ ${keys.join(', ')} }) or false, got ${describeType(value)}`);
    return false;
  }
  unknownKeys(value, keys, `${name}.`, problem);
  return value.path === undefined ? fallback : (routePath(value.path, `${name}.path`, problem) ?? false);
}

function resolveOpenAi<S>(
  value: unknown,
  groups: readonly string[],
  problem: Problem,
): ResolvedOpenAiRoutes<S> | false {
  if (value === undefined || value === false) return false;
  if (!isRecord(value)) {
    problem(
      'openai',
      `must be an object ({ authorize, path, bodyLimit, bodyTimeoutMs, models }) or false, got ${describeType(value)}`,
    );
    return false;
  }
  unknownKeys(value, OPENAI_KEYS, 'openai.', problem);
  const path = value.path === undefined ? '/v1' : (routePath(value.path, 'openai.path', problem) ?? '/v1');
  const authorize = value.authorize;
  if (typeof authorize !== 'function') {
    problem(
      'openai.authorize',
      `must be a function (req) => boolean | Promise<boolean>, got ${describeType(authorize)}; it is required so the routes are never open to anyone by accident`,
    );
  }
  let bodyLimit = DEFAULT_BODY_LIMIT;
  if (value.bodyLimit !== undefined) {
    const parsed = parseByteSize(value.bodyLimit);
    if (parsed === undefined) {
      problem(
        'openai.bodyLimit',
        `must be a positive number of bytes or a size like "512kb" or "1mb", got ${describeOption(value.bodyLimit)}`,
      );
    } else bodyLimit = parsed;
  }
  let bodyTimeoutMs = DEFAULT_BODY_TIMEOUT_MS;
  if (value.bodyTimeoutMs !== undefined) {
    const ms = value.bodyTimeoutMs;
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0) {
      problem(
        'openai.bodyTimeoutMs',
        `must be a positive integer of milliseconds, got ${describeOption(ms)}`,
      );
    } else bodyTimeoutMs = ms;
  }
  let exposed: Set<string> | undefined;
  if (value.models !== undefined) {
    if (!Array.isArray(value.models)) {
      problem('openai.models', `must be an array of model group names, got ${describeType(value.models)}`);
    } else {
      exposed = new Set();
      value.models.forEach((model: unknown, i: number) => {
        if (typeof model !== 'string' || !groups.includes(model)) {
          const hint =
            typeof model === 'string' && closestMatch(model, groups)
              ? `; did you mean "${closestMatch(model, groups)}"?`
              : '';
          problem(
            `openai.models[${i}]`,
            `${describeOption(model)} is not a configured model group (${groups.join(', ') || 'none'})${hint}`,
          );
        } else exposed?.add(model);
      });
    }
  }
  const base = path === '/' ? '' : path;
  return {
    path,
    chat: `${base}/chat/completions`,
    embeddings: `${base}/embeddings`,
    models: `${base}/models`,
    authorize: authorize as (subject: S) => boolean | Promise<boolean>,
    bodyLimit,
    bodyTimeoutMs,
    exposed,
  };
}

function routePath(value: unknown, name: string, problem: Problem): string | undefined {
  if (typeof value !== 'string' || !PATH.test(value)) {
    problem(name, `must be a path starting with "/" (no query, no spaces), got ${describeOption(value)}`);
    return undefined;
  }
  return value.length > 1 && value.endsWith('/') ? value.replace(/\/+$/, '') || '/' : value;
}

function unknownKeys(
  value: Record<string, unknown>,
  known: string[],
  prefix: string,
  problem: Problem,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closestMatch(key, known);
    const hint = near ? `did you mean "${near}"?` : `known options: ${known.join(', ')}`;
    problem(`${prefix}${key}`, `unknown option; ${hint}`);
  }
}

/** The first value of a request header, `undefined` when absent or empty. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value === '' ? undefined : value;
}

function join(base: string, suffix: string): string {
  return base === '/' ? suffix : `${base}${suffix}`;
}
