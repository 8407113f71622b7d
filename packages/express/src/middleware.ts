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
    http.watchServer((req.socket as { server?: Server } | undefined)?.server);
    const route = http.match(req.method, req.path);
    if (route) {
      http.serve(route, req, res, { subject: req, body: req.body }).catch(next);
      return;
    }
    defineLazy(req, 'ai', () => http.caller(req, res, req));
    next();
  }

  return Object.defineProperties(aiFailoverMiddleware, {
    client: { value: http.client, enumerable: true },
    close: { value: (options?: CloseOptions) => http.close(options) },
  }) as AiFailoverMiddleware;
}
