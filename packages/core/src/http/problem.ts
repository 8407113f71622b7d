/**
 * What an HTTP client is told when a request fails: a status, an OpenAI-shaped error body, and the
 * mapping from the core's typed errors to both. Messages pass through a scrubber first, so no key,
 * upstream URL or upstream address reaches a response.
 */
import { AiFailoverError, InvalidRequestError, UnknownModelError, UpstreamError } from '../errors';
import type { AttemptReport } from '../types';
import { formatTrace } from './trace';

/** The error body of the OpenAI API: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** An HTTP answer to a failed request, before it is written. */
export interface Problem {
  readonly status: number;
  /** OpenAI error type, e.g. `invalid_request_error`. */
  readonly type: string;
  /** Stable machine-readable code, e.g. `invalid_json`, `model_not_found`. */
  readonly code: string;
  readonly message: string;
  readonly param: string | null;
  /** Extra response headers (`retry-after`, `www-authenticate`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A problem found by the HTTP layer itself (bad JSON, body too large...), thrown and then answered. */
export class HttpProblem extends Error implements Problem {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  constructor(problem: Omit<Problem, 'type'> & { type?: string }) {
    super(problem.message);
    this.name = 'HttpProblem';
    this.status = problem.status;
    this.type = problem.type ?? typeForStatus(problem.status);
    this.code = problem.code;
    this.param = problem.param;
    if (problem.headers) this.headers = problem.headers;
  }
}

/** Removes secrets and upstream locations from text that goes into a response. */
export type Scrubber = (text: string) => string;

const CODES: Record<AiFailoverError['code'], string> = {
  AI_CONFIG_INVALID: 'config_invalid',
  AI_INVALID_REQUEST: 'invalid_request',
  AI_UNKNOWN_MODEL: 'model_not_found',
  AI_UPSTREAM_ERROR: 'upstream_error',
  AI_ALL_ATTEMPTS_FAILED: 'all_attempts_failed',
  AI_RATE_LIMITED: 'rate_limited',
  AI_DEADLINE_EXCEEDED: 'deadline_exceeded',
  AI_ABORTED: 'request_aborted',
  AI_STREAM_INTERRUPTED: 'stream_interrupted',
  AI_CLIENT_CLOSED: 'client_closed',
  AI_INTERNAL_ERROR: 'internal_error',
};

/** Messages shown instead of a 5xx error's own, where the error's details are not the caller's business. */
const PUBLIC_MESSAGES: Record<AiFailoverError['code'], string> = {
  AI_CONFIG_INVALID: 'The AI service is misconfigured',
  AI_INVALID_REQUEST: 'The request is invalid',
  AI_UNKNOWN_MODEL: 'The model does not exist',
  AI_UPSTREAM_ERROR: 'The AI provider failed to answer',
  AI_ALL_ATTEMPTS_FAILED: 'No AI provider could answer the request',
  AI_RATE_LIMITED: 'Too many AI requests; retry later',
  AI_DEADLINE_EXCEEDED: 'The AI request timed out',
  AI_ABORTED: 'The request was aborted',
  AI_STREAM_INTERRUPTED: 'The AI answer was interrupted before it was complete',
  AI_CLIENT_CLOSED: 'The AI service is shutting down',
  AI_INTERNAL_ERROR: 'The AI service failed',
};

/** The OpenAI error type that goes with an HTTP status. */
export function typeForStatus(status: number): string {
  switch (status) {
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/**
 * The answer to a failed request: a core error with its own `status` and `headers`, a problem of
 * the HTTP layer, or a body parser's error (`express.json()`, `@koa/bodyparser`...). Anything
 * else is an internal error whose message is not shown.
 */
export function problemFor(error: unknown, scrub: Scrubber): Problem {
  if (error instanceof HttpProblem) return error;
  if (!(error instanceof AiFailoverError)) {
    return bodyParserProblem(error) ?? INTERNAL;
  }
  const { status } = error;
  let code = CODES[error.code] ?? 'error';
  let param: string | null = null;
  if (error instanceof InvalidRequestError) param = error.field ?? null;
  else if (error instanceof UnknownModelError) param = 'model';
  else if (error instanceof UpstreamError) {
    if (error.providerCode && /^[a-z0-9_.-]{1,64}$/i.test(error.providerCode)) code = error.providerCode;
  }
  const problem: Problem = {
    status,
    type: typeForStatus(status),
    code,
    message: scrub(error.message),
    param,
  };
  const { headers } = error;
  return Object.keys(headers).length > 0 ? { ...problem, headers } : problem;
}

const INTERNAL: Problem = Object.freeze({
  status: 500,
  type: 'api_error',
  code: 'internal_error',
  message: 'Internal error',
  param: null,
});

/** The same problem, with a neutral message when it is a server error (Koa's `expose` convention). */
export function publicProblem(error: unknown, scrub: Scrubber): Problem {
  const problem = problemFor(error, scrub);
  if (problem.status < 500 || !(error instanceof AiFailoverError)) return problem;
  return { ...problem, message: PUBLIC_MESSAGES[error.code] ?? 'Internal error' };
}

/** The OpenAI error body of a problem: the one error body of every route, handler and stream. */
export function openAiErrorBody(problem: Problem): OpenAiErrorBody {
  return {
    error: { message: problem.message, type: problem.type, param: problem.param, code: problem.code },
  };
}

/** The `type`s `raw-body` and `body-parser` give their errors (also thrown by `co-body`). */
const BODY_ERRORS: Readonly<Record<string, { code: string; message?: string }>> = {
  'entity.parse.failed': { code: 'invalid_json' },
  'entity.too.large': { code: 'request_too_large' },
  'parameters.too.many': { code: 'request_too_large', message: 'The request body has too many parameters' },
  'encoding.unsupported': { code: 'unsupported_encoding' },
  'charset.unsupported': { code: 'unsupported_charset' },
  'entity.verify.failed': { code: 'invalid_request' },
  'request.aborted': { code: 'request_aborted' },
  'request.size.invalid': {
    code: 'invalid_request',
    message: 'The request body does not have the length its Content-Length announced',
  },
};

/**
 * True for an error a body parser raised while reading a request (`express.json()`,
 * `@koa/bodyparser`, `koa-bodyparser`, Nest's parser): one with a `type` of `raw-body` /
 * `body-parser`, or a `SyntaxError` with status 400 (`co-body` on malformed JSON).
 */
export function isBodyParserError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { type, status, statusCode } = error as { type?: unknown; status?: unknown; statusCode?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code > 599) return false;
  if (typeof type === 'string') return Object.hasOwn(BODY_ERRORS, type) || type.startsWith('stream.');
  return error instanceof SyntaxError && code === 400;
}

/**
 * The problem of a body parser's error, as the routes would answer had they read the body
 * themselves; `undefined` for any other error. A parser's own fault (a stream already read, a
 * 5xx) is an internal error.
 */
export function bodyParserProblem(error: unknown): HttpProblem | undefined {
  if (!isBodyParserError(error)) return undefined;
  const e = error as Error & { type?: string; status?: number; statusCode?: number; limit?: unknown };
  const status = e.status ?? e.statusCode ?? 400;
  const known = e.type === undefined ? BODY_ERRORS['entity.parse.failed']! : BODY_ERRORS[e.type];
  if (status >= 500 || !known) return new HttpProblem(INTERNAL);
  let message = known.message;
  if (message === undefined) {
    switch (known.code) {
      case 'invalid_json':
        message = `The request body is not valid JSON: ${e.message}`;
        break;
      case 'request_too_large':
        message =
          typeof e.limit === 'number'
            ? `The request body is larger than the limit of ${e.limit} bytes`
            : 'The request body is too large';
        break;
      default:
        message = e.message;
    }
  }
  return new HttpProblem({ status, code: known.code, message, param: null });
}

/** A JSON answer to an error a route handler let through: the OpenAI error body. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: OpenAiErrorBody;
}

/**
 * The answer to a typed error (or a body parser's): its `status`, the OpenAI error body with its
 * message when it is a client error and a neutral one otherwise, its `headers` (`retry-after` when
 * every deployment was rate limited), `cache-control: no-store`, and the decision trace when the
 * error carries attempts.
 */
export function errorResponse(error: unknown, scrub: Scrubber, traceHeader: string | false): ErrorResponse {
  const problem = publicProblem(error, scrub);
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...problem.headers };
  const attempts = (error as { attempts?: unknown } | null)?.attempts;
  if (traceHeader && Array.isArray(attempts) && attempts.length > 0) {
    headers[traceHeader] = formatTrace(attempts as AttemptReport[]);
  }
  return { status: problem.status, headers, body: openAiErrorBody(problem) };
}
