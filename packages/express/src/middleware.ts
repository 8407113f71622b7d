/**
 * `app.use(aiFailover(config))`: sets `req.ai` and serves the health, metrics and OpenAI-compatible
 * routes. A thin face on the core's HTTP layer; works with Express 4 and 5.
 */
import type { Server } from 'node:net';
import type { AiCaller, AiClient, AiFailoverConfig, CloseOptions } from '@ai-failover/core';
import {
  type AiHttpRouteOptions,
  createAdapterHandler,
  defineLazy,
  installFastPath,
  looksLikeRequest,
  misuseMessage,
} from '@ai-failover/core/http';
import type { NextFunction, Request, Response } from 'express';

declare global {
  namespace Express {
    interface Request {
      /**
       * The ai-failover client bound to this request: calls fail over between deployments, are
       * aborted when the HTTP client disconnects, and carry the request's affinity key.
       */
      ai: AiCaller;
    }
  }
}

/** Options of the Express middleware; `authorize` and an `affinityKey` function receive the Express request. */
export type ExpressOptions = AiHttpRouteOptions<Request>;

/** The middleware `aiFailover()` returns, with the client it uses and a way to close it. */
export interface AiFailoverMiddleware {
  (req: Request, res: Response, next: NextFunction): void;
  /** The client behind `req.ai` and the routes. */
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
 * checked now: a bad one throws a `ConfigError` naming it (`express.openai.authorize: ...`).
 */
export function aiFailover(
  configOrClient: AiFailoverConfig | AiClient,
  options?: ExpressOptions,
): AiFailoverMiddleware {
  if (looksLikeRequest(configOrClient)) {
    throw new TypeError(misuseMessage('@ai-failover/express', 'app.use(aiFailover(config))'));
  }
  const http = createAdapterHandler<Request>('express', configOrClient, options);

  function aiFailoverMiddleware(req: Request, res: Response, next: NextFunction): void {
    const server = (req.socket as { server?: Server } | undefined)?.server;
    http.watchServer(server);
    if (http.options.fastPath && server !== fastServer) serveFast(server, req);
    const route = http.match(req.method, req.path);
    if (route) {
      http.serve(route, req, res, { subject: req, body: req.body }).catch(next);
      return;
    }
    defineLazy(req, 'ai', () => http.caller(req, res, req));
    next();
  }

  /**
   * `fastPath`: from the first request on, the server answers the OpenAI-compatible routes before
   * Express. The subject `authorize` receives is an Express request made for it: an object of this
   * app's request prototype holding the Node request's method, URL, headers and socket, so
   * `req.get()`, `req.headers`, `req.ip`, `req.hostname`, `req.secure` work as in a route. The Node
   * request itself keeps its own prototype: giving it Express's (as Express does) would slow down
   * every later use of it, which is what the fast path is there to avoid. Nothing a middleware sets
   * is on it, it has no `req.res`, and its body is not readable from it (the route reads it).
   */
  let fastServer: Server | undefined;
  function serveFast(server: Server | undefined, req: Request): void {
    const requestProto = Object.getPrototypeOf(req) as object;
    fastServer = server;
    installFastPath(server, http, {
      prefix: req.baseUrl,
      subjectOf: (rawReq) => {
        const subject = Object.create(requestProto) as Request;
        subject.method = rawReq.method ?? 'GET';
        subject.url = rawReq.url ?? '/';
        subject.originalUrl = subject.url;
        subject.headers = rawReq.headers;
        subject.rawHeaders = rawReq.rawHeaders;
        subject.httpVersion = rawReq.httpVersion;
        subject.socket = rawReq.socket;
        return subject;
      },
    });
  }

  return Object.defineProperties(aiFailoverMiddleware, {
    client: { value: http.client, enumerable: true },
    close: { value: (options?: CloseOptions) => http.close(options) },
  }) as AiFailoverMiddleware;
}
