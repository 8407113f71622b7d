/**
 * The fast path (`fastPath: true`): the OpenAI-compatible routes served from the HTTP server's own
 * request listener, before the framework's router and middleware chain run. A framework spends
 * more per request than the routes do (Express's router and its request/response prototypes, Koa's
 * context and middleware composition), so behind it the routes cannot come close to a bare proxy.
 *
 * What it skips, for the routes it takes (`POST {path}/chat/completions`, `{path}/responses`,
 * `{path}/embeddings`, `GET {path}/models[/{id}]`): every middleware of the app — body parsers,
 * CORS, session or auth middleware, loggers, rate limiters, helmet — and the framework's error
 * handling. `openai.authorize` and an `affinityKey` function still run, on a framework subject that
 * no middleware has touched (no `req.user`, no `ctx.state` set by others). Every other request,
 * including other paths under the prefix, goes to the framework as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AiHttpHandler, AiRoute } from './handler';
import { HttpProblem, openAiErrorBody, problemFor } from './problem';
import { sendJson } from './respond';

/** Builds what `authorize` and `affinityKey` receive from the Node request and response. */
export type SubjectOf<S> = (req: IncomingMessage, res: ServerResponse) => S;

/** How the fast path sees a request. */
export interface FastPathOptions<S> {
  /** The framework's subject for a request served on the fast path. */
  subjectOf: SubjectOf<S>;
  /**
   * Where the framework mounted the middleware (Express's `req.baseUrl`, Nest's global prefix):
   * cut from the path before matching. A request outside it is left to the framework.
   */
  prefix?: string;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** Something with `request` listeners: a `node:http`, `https` or `http2` (compat) server. */
interface RequestEmitter {
  listeners(event: 'request'): RequestListener[];
  removeListener(event: 'request', listener: RequestListener): unknown;
  on(event: 'request', listener: RequestListener): unknown;
}

const installed = new WeakMap<object, true>();

/** The routes the fast path takes; everything else stays with the framework. */
function isFastRoute(route: AiRoute | undefined): route is AiRoute {
  if (!route) return false;
  const { kind } = route;
  return (
    kind === 'chat' || kind === 'responses' || kind === 'embeddings' || kind === 'models' || kind === 'model'
  );
}

/**
 * Puts the handler's OpenAI-compatible routes in front of `server`'s request listeners (the
 * framework's app). Once per server; returns false when `server` is not a server with request
 * listeners, or already has the fast path.
 */
export function installFastPath<S>(
  server: unknown,
  handler: AiHttpHandler<S>,
  options: FastPathOptions<S>,
): boolean {
  if (!isRequestEmitter(server) || installed.has(server)) return false;
  installed.set(server, true);
  const { subjectOf } = options;
  const prefix = options.prefix && options.prefix !== '/' ? options.prefix.replace(/\/+$/, '') : '';
  const app = server.listeners('request');
  for (const listener of app) server.removeListener('request', listener);
  const logger = handler.client.config.logger;

  const fastPath: RequestListener = (req, res) => {
    const route = handler.match(req.method, pathBelow(req.url, prefix));
    if (!isFastRoute(route)) {
      for (const listener of app) listener.call(server, req, res);
      return;
    }
    let subject: S;
    try {
      subject = subjectOf(req, res);
    } catch (error) {
      fail(error);
      return;
    }
    handler.serve(route, req, res, { subject }).catch(fail);

    // An unexpected error before anything was sent: an OpenAI-shaped 500, the details in the log.
    function fail(error: unknown): void {
      logger?.error?.('ai-failover fast path failed', { error: handler.scrub(String(error)) });
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const problem = problemFor(
        new HttpProblem({ status: 500, code: 'internal_error', message: 'Internal error', param: null }),
        handler.scrub,
      );
      sendJson(req, res, 500, openAiErrorBody(problem));
    }
  };
  server.on('request', fastPath);
  return true;
}

function isRequestEmitter(value: unknown): value is RequestEmitter & object {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.listeners === 'function' &&
    typeof candidate.removeListener === 'function' &&
    typeof candidate.on === 'function' &&
    typeof candidate.listen === 'function'
  );
}

/** The URL's path below `prefix`; `''` (matches no route) for a URL outside it. */
function pathBelow(url: string | undefined, prefix: string): string {
  const raw = url ?? '/';
  const end = raw.indexOf('?');
  const path = end === -1 ? raw : raw.slice(0, end);
  if (prefix === '') return path;
  if (!path.startsWith(prefix)) return '';
  if (path.length === prefix.length) return '/';
  return path.charCodeAt(prefix.length) === 0x2f ? path.slice(prefix.length) : '';
}
