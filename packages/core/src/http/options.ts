/**
 * Options of the HTTP layer (health, metrics and OpenAI-compatible routes, `req.ai`), validated
 * once when a middleware is created and resolved into a new frozen object. The caller's object is
 * never changed.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import {
  arrayOf,
  checked,
  HEADER_NAME,
  headerName,
  routePath,
  strictObject,
  trimPath,
} from '../config/fields';
import { expected, unknownName } from '../config/messages';
import { parseOptions } from '../config/options';
import { DEFAULT_DASHBOARD_PATH, dashboardOptionsSchema } from '../dashboard/options';
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
 * OpenAI-compatible routes: `POST {path}/chat/completions`, `POST {path}/responses` (the Responses
 * API, served over chat completions), `POST {path}/embeddings`, `GET {path}/models`. Any other path
 * under `{path}` answers a 404 in the OpenAI error shape (unless `{path}` is `/`). `S` is what `authorize` receives (the framework's request or context).
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
  /**
   * Serve the OpenAI-compatible routes before the framework's router and middleware (default
   * `false`): from the first request on, the HTTP server's request listener answers them itself.
   * Those routes then skip every middleware of the app (body parsers, CORS, auth or session
   * middleware, loggers, rate limiters); `openai.authorize` and `affinityKey` still run, on a
   * subject no middleware has touched. Needs `openai`.
   */
  fastPath?: boolean;
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
  readonly responses: string;
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
  /** Serve the OpenAI-compatible routes before the framework (see `AiHttpRouteOptions.fastPath`). */
  readonly fastPath: boolean;
}

/** Where the options come from, for error messages (`express`, `koa`...). */
export interface ResolveContext {
  /** Prefix of every option path in error messages, e.g. `express`. */
  readonly name: string;
  /** Model groups of the client, to check `openai.models`. */
  readonly models: readonly string[];
}

type Authorize = (subject: unknown) => boolean | Promise<boolean>;
const AUTHORIZE = 'a function (req) => boolean | Promise<boolean>';

/** `true` (the defaults), `false` (off) or `{ path }`. */
const routeSwitch = () =>
  z.union([z.boolean(), strictObject({ path: routePath().optional() }, 'an object { path }')], {
    error: (issue) => expected('true, false or an object { path }', issue.input),
  });

/** `true` (the defaults), `false` (off) or `{ path, authorize }`. */
const healthSwitch = () =>
  z.union(
    [
      z.boolean(),
      strictObject(
        {
          path: routePath().optional(),
          authorize: z
            .custom<Authorize>((value) => typeof value === 'function', {
              abort: true,
              error: (issue) => expected(AUTHORIZE, issue.input),
            })
            .optional(),
        },
        'an object { path, authorize }',
      ),
    ],
    { error: (issue) => expected('true, false or an object { path, authorize }', issue.input) },
  );

/** The schema of the options, with `openai.models` checked against the client's model groups. */
function httpOptionsSchema(groups: readonly string[]) {
  const openai = strictObject(
    {
      path: routePath().optional(),
      authorize: z.custom<Authorize>((value) => typeof value === 'function', {
        abort: true,
        error: (issue) =>
          issue.input === undefined
            ? `must be ${AUTHORIZE}, got undefined; it is required so the routes are never open to anyone by accident`
            : expected(AUTHORIZE, issue.input),
      }),
      bodyLimit: checked<number | string>(
        'a positive number of bytes or a size like "512kb" or "1mb"',
        (value) => parseByteSize(value) !== undefined,
      ).optional(),
      bodyTimeoutMs: checked<number>(
        'a positive integer of milliseconds',
        (value) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0,
      ).optional(),
      models: arrayOf(z.unknown(), 'an array of model group names')
        .superRefine((models, ctx) => {
          models.forEach((model, index) => {
            if (typeof model === 'string' && groups.includes(model)) return;
            const message =
              typeof model === 'string'
                ? unknownName('model group', model, groups)
                : expected('the name of a model group', model);
            ctx.addIssue({ code: 'custom', path: [index], message });
          });
        })
        .optional(),
    },
    'an object { authorize, path, bodyLimit, bodyTimeoutMs, models }',
  );
  return strictObject(
    {
      health: healthSwitch().optional(),
      metrics: routeSwitch().optional(),
      openai: z
        .union([z.boolean(), openai], {
          error: (issue) =>
            expected('false or an object { authorize, path, bodyLimit, models }', issue.input),
        })
        .refine((value) => value !== true, {
          error:
            'must be false or an object { authorize, path, bodyLimit, models }, got true: the routes need authorize',
        })
        .optional(),
      affinityKey: checked<string | ((subject: unknown) => unknown)>(
        'a header name or a function',
        (value) => typeof value === 'function' || (typeof value === 'string' && HEADER_NAME.test(value)),
      ).optional(),
      traceHeader: headerName().optional(),
      dashboard: z
        .union([z.boolean(), dashboardOptionsSchema], {
          error: (issue) => expected('true, false or an object { path, authorize }', issue.input),
        })
        .optional(),
      fastPath: z.boolean({ error: (issue) => expected('true or false', issue.input) }).optional(),
    },
    'an options object',
  ).superRefine((options, ctx) => {
    if (options.fastPath === true && (options.openai === undefined || options.openai === false)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fastPath'],
        message: 'serves the OpenAI-compatible routes: it needs `openai` ({ authorize })',
      });
    }
  });
}

/**
 * Validates the options and resolves them; throws one `ConfigError` listing every problem, each
 * named by its path (`express.openai.authorize: must be a function ..., got undefined`).
 */
export function resolveHttpOptions<S = IncomingMessage>(
  options: AiHttpRouteOptions<S> | undefined,
  context: ResolveContext,
): ResolvedHttpOptions<S> {
  const given = parseOptions(httpOptionsSchema(context.models), options ?? {}, context.name);
  const health = routeBase(given.health, '/health');
  const metrics = routeBase(given.metrics, '/metrics');

  let affinityKey: ResolvedHttpOptions<S>['affinityKey'];
  const affinity = given.affinityKey;
  if (typeof affinity === 'function') {
    affinityKey = (subject) => {
      const value = affinity(subject);
      return typeof value === 'string' && value !== '' ? value : undefined;
    };
  } else if (typeof affinity === 'string') {
    const header = affinity.toLowerCase();
    affinityKey = (_subject, req) => headerValue(req, header);
  }

  return Object.freeze({
    dashboard: resolveDashboard<S>(given.dashboard),
    health:
      health === false
        ? false
        : Object.freeze({
            path: health,
            live: join(health, '/live'),
            ready: join(health, '/ready'),
            authorize:
              typeof given.health === 'object'
                ? (given.health.authorize as ResolvedHealthRoutes<S>['authorize'])
                : undefined,
          }),
    metrics: metrics === false ? false : Object.freeze({ path: metrics }),
    openai: typeof given.openai === 'object' ? resolveOpenAi<S>(given.openai) : false,
    affinityKey,
    traceHeader: given.traceHeader?.toLowerCase() ?? DEFAULT_TRACE_HEADER,
    fastPath: given.fastPath === true,
  });
}

type ParsedHttpOptions = z.output<ReturnType<typeof httpOptionsSchema>>;

function resolveDashboard<S>(value: ParsedHttpOptions['dashboard']): ResolvedDashboardRoutes<S> | false {
  if (value === undefined || value === false) return false;
  const given = value === true ? {} : value;
  return Object.freeze({
    path: given.path === undefined ? DEFAULT_DASHBOARD_PATH : trimPath(given.path),
    authorize: given.authorize as ResolvedDashboardRoutes<S>['authorize'],
    intervalMs: given.intervalMs,
    title: given.title,
  });
}

function routeBase(
  value: boolean | { path?: string | undefined } | undefined,
  fallback: string,
): string | false {
  if (value === false) return false;
  if (value === undefined || value === true || value.path === undefined) return fallback;
  return trimPath(value.path);
}

function resolveOpenAi<S>(
  given: Exclude<ParsedHttpOptions['openai'], boolean | undefined>,
): ResolvedOpenAiRoutes<S> {
  const path = given.path === undefined ? '/v1' : trimPath(given.path);
  const base = path === '/' ? '' : path;
  return Object.freeze({
    path,
    chat: `${base}/chat/completions`,
    embeddings: `${base}/embeddings`,
    responses: `${base}/responses`,
    models: `${base}/models`,
    authorize: given.authorize as (subject: S) => boolean | Promise<boolean>,
    bodyLimit: given.bodyLimit === undefined ? DEFAULT_BODY_LIMIT : parseByteSize(given.bodyLimit)!,
    bodyTimeoutMs: given.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    exposed: given.models && new Set(given.models as string[]),
  });
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
