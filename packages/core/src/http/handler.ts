/**
 * The framework-agnostic HTTP layer every adapter is a thin face on: it owns (or borrows) the
 * client, matches and serves the health, metrics and OpenAI-compatible routes on Node's
 * `IncomingMessage`/`ServerResponse`, builds the request-bound caller behind `req.ai`/`ctx.ai`,
 * and closes an owned client with the HTTP server.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AiCaller, AiClient, type CloseOptions } from '../client';
import { expected } from '../config/messages';
import { createDashboard, type Dashboard } from '../dashboard';
import { ConfigError } from '../errors';
import type { AiFailoverConfig } from '../types';
import { createScrubber, type HttpContext } from './context';
import { type HealthRouteKind, metricsOf, serveHealth, serveMetrics } from './health';
import { type OpenAiRouteKind, serveOpenAi } from './openai-routes';
import { type AiHttpRouteOptions, type ResolvedHttpOptions, resolveHttpOptions } from './options';
import type { Scrubber } from './problem';
import { sendJson } from './respond';
import { requestSignal } from './signal';

/** Options of {@link createAiHttpHandler}: the routes, plus the client or the config to build one from. */
export interface AiHttpOptions<S = IncomingMessage> extends AiHttpRouteOptions<S> {
  /** A client (the caller keeps owning it) or a config (the handler creates and closes the client). */
  client: AiClient | AiFailoverConfig;
}

/** A route the handler serves. */
export type AiRoute =
  | { readonly kind: HealthRouteKind | 'metrics' | Exclude<OpenAiRouteKind, 'model'> }
  | { readonly kind: 'model'; readonly id: string }
  | { readonly kind: 'dashboard'; readonly path: string };

/** Per-request inputs an adapter supplies. */
export interface ServeContext<S> {
  /** What `authorize` and an `affinityKey` function receive (default: the request). */
  subject?: S;
  /** A body a body parser already read (`req.body`, `ctx.request.body`). */
  body?: unknown;
  /**
   * The error a body parser raised reading the body (malformed JSON, over its limit), answered
   * on the OpenAI routes in their shape instead of reading the body.
   */
  bodyError?: unknown;
}

/** The HTTP layer of one middleware. */
export interface AiHttpHandler<S = IncomingMessage> {
  /** The client requests go through. */
  readonly client: AiClient;
  /** True when the handler created the client (it then closes it). */
  readonly ownsClient: boolean;
  /** The validated options. */
  readonly options: ResolvedHttpOptions<S>;
  /** Removes secrets and upstream locations from text bound for a response. */
  readonly scrub: Scrubber;
  /** The route a request targets, or `undefined` when it is not one of ours. */
  match(method: string | undefined, path: string): AiRoute | undefined;
  /**
   * Serves a matched route. Expected failures are answered (OpenAI-shaped on the OpenAI routes);
   * it rejects only with an unexpected error, and only while nothing has been sent.
   */
  serve(route: AiRoute, req: IncomingMessage, res: ServerResponse, context?: ServeContext<S>): Promise<void>;
  /** Matches on `req.url` and serves; resolves `false` when the request is not for a route of ours. */
  handle(req: IncomingMessage, res: ServerResponse, context?: ServeContext<S>): Promise<boolean>;
  /**
   * A caller bound to the request: its calls are aborted when the client disconnects and carry
   * the request's affinity key.
   */
  caller(req: IncomingMessage, res: ServerResponse, subject?: S): AiCaller;
  /** Closes the handler when `server` emits `close` (once per server; ignores non-servers). */
  watchServer(server: unknown): void;
  /**
   * Stops listening to the client and the servers, and closes the client if the handler owns it
   * (calls in flight get `drainMs` to finish: see `AiClient.close`). Idempotent.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Names the adapter in option errors (`express.openai.authorize: ...`). */
export interface HandlerIdentity {
  /** Default `http`. */
  name?: string;
}

const SLASH = 0x2f;
const HEALTH: AiRoute = Object.freeze({ kind: 'health' });
const LIVE: AiRoute = Object.freeze({ kind: 'live' });
const READY: AiRoute = Object.freeze({ kind: 'ready' });
const METRICS: AiRoute = Object.freeze({ kind: 'metrics' });
const CHAT: AiRoute = Object.freeze({ kind: 'chat' });
const EMBEDDINGS: AiRoute = Object.freeze({ kind: 'embeddings' });
const RESPONSES: AiRoute = Object.freeze({ kind: 'responses' });
const NOT_FOUND: AiRoute = Object.freeze({ kind: 'notFound' });
const MODELS: AiRoute = Object.freeze({ kind: 'models' });

/** True for something that behaves like an `AiClient` (also one from another copy of the package). */
export function isAiClient(value: unknown): value is AiClient {
  if (value instanceof AiClient) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.bind === 'function' &&
    typeof candidate.chat === 'function' &&
    typeof candidate.health === 'function' &&
    typeof candidate.close === 'function'
  );
}

/**
 * Builds the HTTP layer. Validates everything now: a bad config or option throws a `ConfigError`
 * naming it. A client built from a config is started here and closed by `close()` or when a
 * watched server closes; a client passed in is started but never closed by the handler.
 */
export function createAiHttpHandler<S = IncomingMessage>(
  options: AiHttpOptions<S>,
  identity: HandlerIdentity = {},
): AiHttpHandler<S> {
  const name = identity.name ?? 'http';
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError([{ path: name, message: expected('an object { client, ...options }', options) }]);
  }
  const { client: source, ...routeOptions } = options;
  if (typeof source !== 'object' || source === null) {
    throw new ConfigError([
      { path: `${name}.client`, message: 'is required: an AiClient or an ai-failover config' },
    ]);
  }
  const ownsClient = !isAiClient(source);
  const client = ownsClient ? new AiClient(source as AiFailoverConfig) : (source as AiClient);
  let resolved: ResolvedHttpOptions<S>;
  try {
    resolved = resolveHttpOptions<S>(routeOptions, { name, models: client.models });
  } catch (error) {
    if (ownsClient) void client.close();
    throw error;
  }
  return new Handler(client, ownsClient, resolved);
}

class Handler<S> implements AiHttpHandler<S> {
  readonly client: AiClient;
  readonly ownsClient: boolean;
  readonly options: ResolvedHttpOptions<S>;
  readonly scrub: Scrubber;
  readonly #context: HttpContext<S>;
  readonly #servers = new Map<WatchedServer, () => void>();
  readonly #dashboard: Dashboard | undefined;
  /** The framework subject (Express request, Koa context) of a request the dashboard is serving. */
  readonly #subjects = new WeakMap<IncomingMessage, S>();
  #lastServer: unknown;
  #closing: Promise<void> | undefined;

  constructor(client: AiClient, ownsClient: boolean, options: ResolvedHttpOptions<S>) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.options = options;
    this.scrub = createScrubber(client);
    if (options.dashboard) {
      const { path, intervalMs, title, authorize } = options.dashboard;
      this.#dashboard = createDashboard(client, {
        path,
        ...(intervalMs === undefined ? {} : { intervalMs }),
        ...(title === undefined ? {} : { title }),
        ...(authorize
          ? {
              authorize: (req: IncomingMessage) =>
                authorize(this.#subjects.get(req) ?? (req as unknown as S)),
            }
          : {}),
      });
    }
    this.#context = {
      client,
      options,
      scrub: this.scrub,
      logger: client.config.logger,
      createdAt: Math.floor(Date.now() / 1000),
    };
    client.start().catch((error: unknown) => {
      this.#context.logger?.error?.('ai-failover client failed to start', {
        error: this.scrub(String(error)),
      });
    });
  }

  match(method: string | undefined, path: string): AiRoute | undefined {
    const p = path.length > 1 && path.charCodeAt(path.length - 1) === SLASH ? path.slice(0, -1) : path;
    const { health, metrics, openai, dashboard } = this.options;
    if (
      dashboard &&
      p.startsWith(dashboard.path) &&
      (p.length === dashboard.path.length || p.charCodeAt(dashboard.path.length) === SLASH)
    ) {
      return { kind: 'dashboard', path: p };
    }
    // Paths under the OpenAI prefix that no route serves answer a 404 in the OpenAI error shape.
    const owned =
      openai !== false &&
      openai.path !== '/' &&
      p.startsWith(openai.path) &&
      (p.length === openai.path.length || p.charCodeAt(openai.path.length) === SLASH);
    if (method === 'POST') {
      if (!openai) return undefined;
      if (p === openai.chat) return CHAT;
      if (p === openai.responses) return RESPONSES;
      if (p === openai.embeddings) return EMBEDDINGS;
      return owned ? NOT_FOUND : undefined;
    }
    if (method !== 'GET' && method !== 'HEAD') return owned ? NOT_FOUND : undefined;
    if (health) {
      if (p === health.path) return HEALTH;
      if (p === health.live) return LIVE;
      if (p === health.ready) return READY;
    }
    if (metrics && p === metrics.path && metricsOf(this.client)) return METRICS;
    if (openai) {
      if (p === openai.models) return MODELS;
      if (p.startsWith(openai.models) && p.charCodeAt(openai.models.length) === SLASH) {
        return { kind: 'model', id: decode(p.slice(openai.models.length + 1)) };
      }
    }
    return owned ? NOT_FOUND : undefined;
  }

  async serve(
    route: AiRoute,
    req: IncomingMessage,
    res: ServerResponse,
    context: ServeContext<S> = {},
  ): Promise<void> {
    switch (route.kind) {
      case 'health':
      case 'live':
      case 'ready': {
        const subject = 'subject' in context ? (context.subject as S) : (req as unknown as S);
        return serveHealth(this.client, route.kind, req, res, await this.#detailedHealth(subject));
      }
      case 'dashboard': {
        if ('subject' in context) this.#subjects.set(req, context.subject as S);
        if (this.#dashboard && (await this.#dashboard.handle(req, res, route.path))) return;
        return sendJson(req, res, 404, { error: { code: 'not_found', message: 'Not found' } });
      }
      case 'metrics': {
        const metrics = metricsOf(this.client);
        if (metrics) return serveMetrics(metrics, req, res);
        return sendJson(req, res, 404, { error: { code: 'not_found', message: 'Metrics are off' } });
      }
      default: {
        const openai = this.options.openai;
        if (!openai) {
          return sendJson(req, res, 404, {
            error: { code: 'not_found', message: 'The OpenAI routes are off' },
          });
        }
        const subject = 'subject' in context ? (context.subject as S) : (req as unknown as S);
        const id = route.kind === 'model' ? route.id : undefined;
        return serveOpenAi(this.#context, openai, route.kind, req, res, subject, context, id);
      }
    }
  }

  /** Whether `subject` may see the detailed health report (`health.authorize` says `true`). */
  async #detailedHealth(subject: S): Promise<boolean> {
    const authorize = this.options.health ? this.options.health.authorize : undefined;
    if (!authorize) return false;
    try {
      return (await authorize(subject)) === true;
    } catch (error) {
      this.#context.logger?.error?.('ai-failover health.authorize() threw; answering the status only', {
        error: this.scrub(String(error)),
      });
      return false;
    }
  }

  async handle(req: IncomingMessage, res: ServerResponse, context?: ServeContext<S>): Promise<boolean> {
    const route = this.match(req.method, pathOf(req.url));
    if (!route) return false;
    await this.serve(route, req, res, context);
    return true;
  }

  caller(req: IncomingMessage, res: ServerResponse, subject?: S): AiCaller {
    const affinityKey = this.options.affinityKey?.(subject ?? (req as unknown as S), req);
    const { signal } = requestSignal(req, res);
    return this.client.bind(affinityKey === undefined ? { signal } : { signal, affinityKey });
  }

  watchServer(server: unknown): void {
    if (server === this.#lastServer || this.#closing) return;
    this.#lastServer = server;
    if (!isServer(server) || this.#servers.has(server)) return;
    const onClose = () => {
      this.#servers.delete(server);
      this.close().catch((error: unknown) => {
        this.#context.logger?.error?.('ai-failover client failed to close', {
          error: this.scrub(String(error)),
        });
      });
    };
    this.#servers.set(server, onClose);
    server.once('close', onClose);
  }

  close(options?: CloseOptions): Promise<void> {
    if (!this.#closing) {
      for (const [server, onClose] of this.#servers) server.off('close', onClose);
      this.#servers.clear();
      this.#lastServer = undefined;
      this.#dashboard?.close();
      this.#closing = this.ownsClient ? this.client.close(options) : Promise.resolve();
    } else if (this.ownsClient && options) {
      // A shorter drain asked for later still applies.
      return this.client.close(options);
    }
    return this.#closing;
  }
}

interface WatchedServer {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

function isServer(value: unknown): value is WatchedServer {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.once === 'function' &&
    typeof candidate.off === 'function' &&
    typeof candidate.listen === 'function'
  );
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
