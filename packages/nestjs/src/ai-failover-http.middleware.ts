import type { IncomingMessage } from 'node:http';
import {
  type AiHttpHandler,
  type AiHttpRouteOptions,
  type AiRoute,
  createAiHttpHandler,
  isBodyParserError,
  metricsOf,
} from '@ai-failover/core/http';
import { Inject, Injectable, type NestMiddleware, Optional } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { AI_FAILOVER_HTTP_HANDLER } from './ai-failover.constants';
import type { AiFailoverClientHandle } from './ai-failover.providers';
import type { AiFailoverHttpOptions } from './ai-failover-options.interface';
import { nodeRequest, nodeResponse } from './node-message';

/**
 * Builds the one core HTTP handler behind the module's OpenAI-compatible routes, dashboard and
 * `/metrics` (health stays with the Nest controller), or returns `null` when none of them is on.
 * Every option is checked now: a bad one throws the core's `ConfigError` naming it
 * (`nestjs.openai.authorize: ...`), which fails the app's bootstrap; a client the module created
 * is then closed.
 */
export function createAiFailoverHttpHandler(
  handle: AiFailoverClientHandle,
  options: AiFailoverHttpOptions = {},
): AiHttpHandler<IncomingMessage> | null {
  const { openai, dashboard, metrics, fastPath } = options;
  const wanted =
    isOn(openai) ||
    isOn(dashboard) ||
    isOn(fastPath) ||
    (metrics !== false && (metrics !== undefined || hasMetrics(handle)));
  if (!wanted) return null;
  try {
    return createAiHttpHandler<IncomingMessage>(
      {
        client: handle.client,
        health: false,
        metrics: withLeadingSlash(metrics ?? true) as AiHttpRouteOptions['metrics'],
        openai: withLeadingSlash(openai ?? false) as AiHttpRouteOptions['openai'],
        dashboard: withLeadingSlash(dashboard ?? false) as AiHttpRouteOptions['dashboard'],
        ...(fastPath === undefined ? {} : { fastPath }),
      },
      { name: 'nestjs' },
    );
  } catch (error) {
    if (handle.owned) void handle.client.close();
    throw error;
  }
}

/**
 * The paths `AiFailoverModule` applies `AiFailoverHttpMiddleware` to: each route prefix and what is
 * below it. A prefix holding route syntax (`:`, `*`...) is cut before its first such segment, so
 * the middleware is mounted on its static part and matches the exact paths itself.
 */
export function middlewareRoutes(
  handler: AiHttpHandler<IncomingMessage>,
  wildcard: string = nestWildcard(nestVersion()),
): string[] {
  const { openai, dashboard, metrics } = handler.options;
  const bases = new Set<string>();
  if (openai) bases.add(staticPart(openai.path));
  if (dashboard) bases.add(staticPart(dashboard.path));
  if (metrics && metricsOf(handler.client)) bases.add(staticPart(metrics.path));
  const routes: string[] = [];
  for (const base of bases) {
    if (base === '/') routes.push('/', `/${wildcard}`);
    else routes.push(base, `${base}/${wildcard}`);
  }
  return [...new Set(routes)];
}

/**
 * The route segment that matches any rest of a path, in the syntax of the given `@nestjs/core`
 * version: Nest 11 and later (path-to-regexp 8) want a named wildcard, `*path`, and warn about a
 * bare `*`; Nest 10 (path-to-regexp 0.1 on Express, 3 on Fastify) wants the bare `*`, and its
 * Fastify adapter fails to boot on the named one ("Unexpected MODIFIER").
 */
export function nestWildcard(version: string): string {
  const major = Number.parseInt(version, 10);
  return major <= 10 ? '*' : '*path';
}

/** The version of the `@nestjs/core` the app runs on. */
function nestVersion(): string {
  return (require('@nestjs/core/package.json') as { version: string }).version;
}

/**
 * Serves the module's OpenAI-compatible routes, dashboard and `/metrics` through the core's HTTP
 * layer, on the Node.js request and response (Express's own, or Fastify's `raw`). Requests for
 * other paths go on with `next()`. Paths are matched below the app's global prefix, like the
 * routes of controllers. `AiFailoverModule` applies it to the paths of the routes it serves.
 */
@Injectable()
export class AiFailoverHttpMiddleware implements NestMiddleware<unknown, unknown> {
  constructor(
    @Inject(AI_FAILOVER_HTTP_HANDLER) private readonly handler: AiHttpHandler<IncomingMessage> | null,
    @Optional() private readonly config?: ApplicationConfig,
  ) {}

  /** Serves the request when it targets one of the routes, else calls `next()`. */
  async use(request: unknown, response: unknown, next: (error?: unknown) => void): Promise<void> {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    const handler = this.handler;
    if (!handler || !req || !res) return next();
    const route = handler.match(req.method, routePath(req, this.config));
    // Controllers of the app may serve other paths under the prefix; what none serves gets the
    // routes' 404 from the layer or hook the module adds after the routes (createUnknownUrlLayer).
    if (!route || route.kind === 'notFound') return next();
    const body = (request as { body?: unknown }).body ?? (req as { body?: unknown }).body;
    await handler.serve(route, req, res, body === undefined ? { subject: req } : { subject: req, body });
  }
}

/** An Express error-handling middleware: `(error, req, res, next)`. */
export type ExpressErrorLayer = (
  error: unknown,
  req: unknown,
  res: unknown,
  next: (error?: unknown) => void,
) => void;

/**
 * The Express error layer that answers, on the OpenAI-compatible routes, the errors of Nest's
 * body parser (malformed JSON, a body over its limit), which runs before any middleware and
 * would otherwise reach Nest's exception handler and get Nest's error shape. It answers them as
 * the routes would have, had they read the body: OpenAI-shaped, with the routes' headers. Any
 * other error, or any other path, goes on.
 */
export function createBodyErrorLayer(
  handler: AiHttpHandler<IncomingMessage>,
  config: ApplicationConfig | undefined,
): ExpressErrorLayer {
  return function aiFailoverBodyErrors(error, request, response, next) {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    const route =
      req && res && isBodyParserError(error) ? handler.match(req.method, routePath(req, config)) : undefined;
    if (!route || route.kind === 'notFound') return next(error);
    handler.serve(route, req!, res!, { subject: req!, bodyError: error }).catch(next);
  };
}

/**
 * The route of a request under the OpenAI-compatible routes' prefix that none of them serves (its
 * answer is their 404 `unknown_url`, in the OpenAI error shape, as with the Express and Koa
 * middleware), or `undefined` for any other request. Only a path below the app's global prefix
 * counts: the routes' middleware is mounted there.
 */
function unknownUrlRoute(
  handler: AiHttpHandler<IncomingMessage>,
  config: ApplicationConfig | undefined,
  req: IncomingMessage,
): AiRoute | undefined {
  if (!handler.options.openai) return undefined;
  const path = routePath(req, config, true);
  if (path === undefined) return undefined;
  const route = handler.match(req.method, path);
  return route?.kind === 'notFound' ? route : undefined;
}

/** An Express middleware: `(req, res, next)`. */
export type ExpressLayer = (req: unknown, res: unknown, next: (error?: unknown) => void) => void;

/**
 * The Express layer that answers a path under the OpenAI prefix that no route matched with the
 * routes' OpenAI-shaped 404 (see {@link unknownUrlRoute}). Added after the app's routes and before
 * Nest's not-found handler, it sees only the requests no route took, and leaves every other one to
 * that handler, so the app's other 404s and its exception filters are untouched.
 */
export function createUnknownUrlLayer(
  handler: AiHttpHandler<IncomingMessage>,
  config: ApplicationConfig | undefined,
): ExpressLayer {
  return function aiFailoverUnknownUrl(request, response, next) {
    const req = nodeRequest(request);
    const res = nodeResponse(response);
    const route = req && res ? unknownUrlRoute(handler, config, req) : undefined;
    if (!route) return next();
    handler.serve(route, req!, res!, { subject: req! }).catch(next);
  };
}

/** The part of a Fastify request and reply {@link createUnknownUrlHook} uses. */
interface FastifyHookRequest {
  /** True when Fastify's router matched no route: the request is bound for the not-found handler. */
  readonly is404?: boolean;
  readonly raw: unknown;
}
interface FastifyHookReply {
  readonly raw: unknown;
  hijack(): unknown;
}

/** A Fastify `onRequest` hook. */
export type FastifyRequestHook = (request: unknown, reply: unknown, done: (error?: Error) => void) => void;

/**
 * The Fastify `onRequest` hook that answers a path under the OpenAI prefix that no route matched
 * with the routes' OpenAI-shaped 404 (see {@link unknownUrlRoute}). Fastify routes a request before
 * its hooks run, so the hook acts only on one bound for the not-found handler (`request.is404`):
 * it takes the reply over and answers on the Node.js response. Every other request goes on at once,
 * to its route or to Nest's not-found handler.
 */
export function createUnknownUrlHook(
  handler: AiHttpHandler<IncomingMessage>,
  config: ApplicationConfig | undefined,
): FastifyRequestHook {
  return function aiFailoverUnknownUrl(request, reply, done) {
    const { is404, raw } = request as FastifyHookRequest;
    if (is404 !== true) return done();
    const req = nodeRequest(raw);
    const res = nodeResponse((reply as FastifyHookReply).raw);
    const route = req && res ? unknownUrlRoute(handler, config, req) : undefined;
    if (!route) return done();
    (reply as FastifyHookReply).hijack();
    handler.serve(route, req!, res!, { subject: req! }).catch(() => res!.destroy());
  };
}

/**
 * The request's path, without the query and without the global prefix when it starts with it.
 * With `strict`, a path outside the global prefix gives `undefined`.
 */
function routePath(req: IncomingMessage, config: ApplicationConfig | undefined): string;
function routePath(
  req: IncomingMessage,
  config: ApplicationConfig | undefined,
  strict: true,
): string | undefined;
function routePath(
  req: IncomingMessage,
  config: ApplicationConfig | undefined,
  strict = false,
): string | undefined {
  const original = (req as { originalUrl?: unknown }).originalUrl;
  const url = typeof original === 'string' ? original : (req.url ?? '/');
  const end = url.search(/[?#]/);
  const path = end === -1 ? url : url.slice(0, end);
  const prefix = globalPrefix(config);
  if (prefix === '') return path;
  const under =
    path.startsWith(prefix) && (path.length === prefix.length || path.charCodeAt(prefix.length) === 0x2f);
  if (!under) return strict ? undefined : path;
  return path.length === prefix.length ? '/' : path.slice(prefix.length);
}

const STATIC_SEGMENT = /^[A-Za-z0-9\-._~%@,;=&']*$/;

function staticPart(path: string): string {
  const segments = path.split('/');
  const dynamic = segments.findIndex((segment) => !STATIC_SEGMENT.test(segment));
  const kept = dynamic === -1 ? segments : segments.slice(0, dynamic);
  const joined = kept.join('/');
  return joined === '' ? '/' : joined;
}

/** The app's global prefix as a path (`''` when none). */
export function globalPrefix(config: ApplicationConfig | undefined): string {
  const prefix = config?.getGlobalPrefix() ?? '';
  if (prefix === '' || prefix === '/') return '';
  const withSlash = prefix.startsWith('/') ? prefix : `/${prefix}`;
  return withSlash.endsWith('/') ? withSlash.replace(/\/+$/, '') : withSlash;
}

function isOn(value: unknown): boolean {
  return value !== undefined && value !== false;
}

function hasMetrics(handle: AiFailoverClientHandle): boolean {
  return metricsOf(handle.client) !== undefined;
}

/**
 * A copy of a route option whose `path` starts with `/` (Nest writes `'v1'` for `'/v1'`); any other
 * value is returned as is, for the core to check.
 */
function withLeadingSlash(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const { path } = value as { path?: unknown };
  if (typeof path !== 'string' || path.startsWith('/')) return value;
  return { ...value, path: `/${path}` };
}
