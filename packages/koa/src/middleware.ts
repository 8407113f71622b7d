/**
 * `app.use(aiFailover(config))`: sets `ctx.ai` and serves the health, metrics and OpenAI-compatible
 * routes. A thin face on the core's HTTP layer; works with Koa 2 and 3.
 */
import type { Server } from 'node:net';
import type { AiCaller, AiClient, AiFailoverConfig, CloseOptions } from '@ai-failover/core';
import {
  type AiHttpRouteOptions,
  createAdapterHandler,
  defineLazy,
  installFastPath,
  misuseMessage,
} from '@ai-failover/core/http';
import type { DefaultContext, DefaultState, Next, ParameterizedContext } from 'koa';

declare module 'koa' {
  interface DefaultContext {
    /**
     * The ai-failover client bound to this request: calls fail over between deployments, are
     * aborted when the HTTP client disconnects, and carry the request's affinity key.
     */
    ai: AiCaller;
  }
  interface ExtendableContext {
    /** See `DefaultContext.ai`. */
    ai: AiCaller;
  }
}

/** Options of the Koa middleware; `authorize` and an `affinityKey` function receive the context. */
export type KoaOptions<StateT = DefaultState, ContextT = DefaultContext> = AiHttpRouteOptions<
  ParameterizedContext<StateT, ContextT>
>;

/** The middleware `aiFailover()` returns, with the client it uses and a way to close it. */
export interface AiFailoverKoaMiddleware<StateT = DefaultState, ContextT = DefaultContext> {
  (ctx: ParameterizedContext<StateT, ContextT>, next: Next): Promise<void>;
  /** The client behind `ctx.ai` and the routes. */
  readonly client: AiClient;
  /**
   * Stops the middleware. Closes the client when the middleware created it from a config (also
   * done when the HTTP server closes); a client passed in stays open. Call it on SIGTERM before
   * `server.close()`: readiness turns 503 at once, and calls in flight get `drainMs` (default
   * 10 s) to finish before they are aborted.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Creates the middleware. `configOrClient` is an ai-failover config (the middleware then owns the
 * client: starts it now, closes it with the server) or an `AiClient` you own. Every option is
 * checked now: a bad one throws a `ConfigError` naming it (`koa.openai.authorize: ...`).
 */
export function aiFailover<StateT = DefaultState, ContextT = DefaultContext>(
  configOrClient: AiFailoverConfig | AiClient,
  options?: KoaOptions<StateT, ContextT>,
): AiFailoverKoaMiddleware<StateT, ContextT> {
  if (looksLikeContext(configOrClient)) {
    throw new TypeError(misuseMessage('@ai-failover/koa', 'app.use(aiFailover(config))'));
  }
  const http = createAdapterHandler<ParameterizedContext<StateT, ContextT>>('koa', configOrClient, options);

  async function aiFailoverMiddleware(
    ctx: ParameterizedContext<StateT, ContextT>,
    next: Next,
  ): Promise<void> {
    const { req, res } = ctx;
    const server = (req.socket as { server?: Server } | undefined)?.server;
    http.watchServer(server);
    if (http.options.fastPath && server !== fastServer) serveFast(server, ctx);
    const route = http.match(ctx.method, ctx.path);
    if (route) {
      ctx.respond = false;
      await http.serve(route, req, res, { subject: ctx, body: (ctx.request as { body?: unknown }).body });
      return;
    }
    defineLazy(ctx, 'ai', () => http.caller(req, res, ctx));
    await next();
  }

  /**
   * `fastPath`: from the first request on, the server answers the OpenAI-compatible routes before
   * Koa. The subject `authorize` receives is a context made by this app (`app.createContext`), as
   * Koa makes one, with nothing a middleware sets.
   */
  let fastServer: Server | undefined;
  function serveFast(server: Server | undefined, ctx: ParameterizedContext<StateT, ContextT>): void {
    const app = ctx.app;
    const url = ctx.originalUrl.split('?')[0] ?? '';
    fastServer = server;
    installFastPath(server, http, {
      // koa-mount and similar cut their prefix from ctx.path: keep the part in front of it.
      prefix: url.endsWith(ctx.path) ? url.slice(0, url.length - ctx.path.length) : '',
      subjectOf: (req, res) =>
        app.createContext(req, res) as unknown as ParameterizedContext<StateT, ContextT>,
    });
  }

  return Object.defineProperties(aiFailoverMiddleware, {
    client: { value: http.client, enumerable: true },
    close: { value: (options?: CloseOptions) => http.close(options) },
  }) as AiFailoverKoaMiddleware<StateT, ContextT>;
}

/** True for a Koa context (the sign of `app.use(aiFailover)`). */
function looksLikeContext(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return 'req' in candidate && 'res' in candidate && 'app' in candidate && 'request' in candidate;
}
