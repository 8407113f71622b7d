/**
 * What every framework adapter needs beyond the handler: building it from `(configOrClient,
 * options)`, the lazy `req.ai`/`ctx.ai` property, the misuse check for `app.use(aiFailover)`, and
 * the JSON answer of the error-mapping middlewares.
 */
import type { AiClient } from '../client';
import { checked, HEADER_NAME, strictObject } from '../config/fields';
import { expected, isRecord } from '../config/messages';
import { parseOptions } from '../config/options';
import { AiFailoverError, ConfigError } from '../errors';
import type { AiFailoverConfig } from '../types';
import { createScrubber } from './context';
import { type AiHttpHandler, createAiHttpHandler } from './handler';
import { type AiHttpRouteOptions, DEFAULT_TRACE_HEADER } from './options';
import { type ErrorResponse, errorResponse, isBodyParserError, type Scrubber } from './problem';

/** `{ traceHeader }`: a header name, or `false` for none. */
const errorMappingSchema = strictObject(
  {
    traceHeader: checked<string | false>(
      'a header name or false',
      (value) => value === false || (typeof value === 'string' && HEADER_NAME.test(value)),
    ).optional(),
  },
  'an options object',
);

/**
 * The handler of an adapter's `aiFailover(configOrClient, options)`. Option errors are named
 * after the adapter (`koa.openai.authorize: ...`); a `client` option is refused, since the client
 * or config is the first argument.
 */
export function createAdapterHandler<S>(
  name: string,
  configOrClient: AiFailoverConfig | AiClient,
  options: AiHttpRouteOptions<S> | undefined,
): AiHttpHandler<S> {
  if (options !== undefined && !isRecord(options)) {
    throw new ConfigError([{ path: name, message: expected('an options object', options) }]);
  }
  if (options && Object.hasOwn(options, 'client')) {
    throw new ConfigError([
      {
        path: `${name}.client`,
        message: 'not an option: pass the client or the config as the first argument of aiFailover()',
      },
    ]);
  }
  return createAiHttpHandler<S>({ ...options, client: configOrClient }, { name });
}

/**
 * Defines `target[property]` as a getter that builds its value on first read and then keeps it,
 * so a request that never uses it pays for nothing. Assigning a value replaces it.
 */
export function defineLazy<T>(target: object, property: PropertyKey, create: () => T): void {
  const settle = (value: unknown) => {
    Object.defineProperty(target, property, { value, writable: true, configurable: true, enumerable: false });
  };
  Object.defineProperty(target, property, {
    configurable: true,
    enumerable: false,
    get() {
      const value = create();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/** True for something shaped like Node's `IncomingMessage` (the sign of `app.use(aiFailover)`). */
export function looksLikeRequest(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.method === 'string' &&
    typeof candidate.headers === 'object' &&
    candidate.headers !== null &&
    'socket' in candidate
  );
}

/** The message of the `TypeError` for `app.use(aiFailover)` without the call. */
export function misuseMessage(adapter: string, usage: string): string {
  return (
    `aiFailover from ${adapter} is a middleware factory: call it with your config (or an AiClient) ` +
    `and use the middleware it returns, e.g. ${usage}; it was called with a request instead`
  );
}

/** Options of the error-handling middlewares (`aiFailoverErrorHandler()` of Express and Koa). */
export interface ErrorHandlerOptions {
  /** Header that carries the decision trace of a failed call (default `x-ai-failover-trace`); `false` for none. */
  traceHeader?: string | false;
}

/**
 * The JSON answer to a typed error or a body parser's error (malformed or too large body), or
 * `undefined` for any other error, which is left to the app's handlers. Built once by an
 * error-mapping middleware.
 */
export type ErrorMapper = (error: unknown) => ErrorResponse | undefined;

/** Validates the options of an error-mapping middleware and returns its mapper. */
export function createErrorMapper(name: string, options: ErrorHandlerOptions | undefined): ErrorMapper {
  const traceHeader =
    parseOptions(errorMappingSchema, options ?? {}, name).traceHeader ?? DEFAULT_TRACE_HEADER;
  const scrub: Scrubber = createScrubber();
  const header = traceHeader === false ? false : traceHeader.toLowerCase();
  return (error) =>
    error instanceof AiFailoverError || isBodyParserError(error)
      ? errorResponse(error, scrub, header)
      : undefined;
}
