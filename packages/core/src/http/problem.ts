/**
 * What an HTTP client is told when a request fails: a status, an OpenAI-shaped error body, and the
 * mapping from the core's typed errors to both. Messages pass through a scrubber first, so no key,
 * upstream URL or upstream address reaches a response.
 */
import {
  AiFailoverError,
  AllAttemptsFailedError,
  InvalidRequestError,
  UnknownModelError,
  UpstreamError,
} from '../errors';
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
 * The answer to a failed request. Core errors keep their `httpStatus`, except an upstream 401/403
 * (a provider refused this server's key: not the caller's credentials), which becomes a 502.
 * Anything else is an internal error whose message is not shown.
 */
export function problemFor(error: unknown, scrub: Scrubber): Problem {
  if (error instanceof HttpProblem) return error;
  if (!(error instanceof AiFailoverError)) {
    return { status: 500, type: 'api_error', code: 'internal_error', message: 'Internal error', param: null };
  }
  let status = error.httpStatus;
  let code = CODES[error.code] ?? 'error';
  let param: string | null = null;
  let headers: Record<string, string> | undefined;
  if (error instanceof InvalidRequestError) param = error.field ?? null;
  else if (error instanceof UnknownModelError) param = 'model';
  else if (error instanceof UpstreamError) {
    if (status === 401 || status === 403 || status === 407) status = 502;
    if (error.providerCode && /^[a-z0-9_.-]{1,64}$/i.test(error.providerCode)) code = error.providerCode;
  }
  if (error instanceof AllAttemptsFailedError) {
    const retryAfter =
      error.retryAfterMs !== undefined
        ? Math.max(1, Math.ceil(error.retryAfterMs / 1000))
        : retryAfterSeconds(error.attempts);
    if (retryAfter !== undefined) headers = { 'retry-after': String(retryAfter) };
  }
  const problem: Problem = {
    status,
    type: typeForStatus(status),
    code,
    message: scrub(error.message),
    param,
  };
  return headers ? { ...problem, headers } : problem;
}

/** The same problem, with a neutral message when it is a server error (Koa's `expose` convention). */
export function publicProblem(error: unknown, scrub: Scrubber): Problem {
  const problem = problemFor(error, scrub);
  if (problem.status < 500 || !(error instanceof AiFailoverError)) return problem;
  return { ...problem, message: PUBLIC_MESSAGES[error.code] ?? 'Internal error' };
}

/** The OpenAI error body of a problem. */
export function openAiErrorBody(problem: Problem): OpenAiErrorBody {
  return {
    error: { message: problem.message, type: problem.type, param: problem.param, code: problem.code },
  };
}

/** Shortest wait any deployment asked for, rounded up to seconds, when every attempt was rate limited. */
function retryAfterSeconds(attempts: readonly AttemptReport[]): number | undefined {
  let shortest: number | undefined;
  for (const attempt of attempts) {
    if (attempt.outcome !== 'rate_limited') return undefined;
    if (attempt.retryAfterMs !== undefined) shortest = Math.min(shortest ?? Infinity, attempt.retryAfterMs);
  }
  return shortest === undefined ? undefined : Math.max(1, Math.ceil(shortest / 1000));
}

/**
 * Gives a core error the `status` and `expose` properties Koa, Express's final handler and
 * `http-errors` look for, so an error a route handler lets through answers with its own status.
 */
export function withHttpStatus<E>(error: E): E {
  if (error instanceof AiFailoverError && !Object.hasOwn(error, 'status')) {
    Object.defineProperty(error, 'status', { value: error.httpStatus, configurable: true, writable: true });
    Object.defineProperty(error, 'expose', {
      value: error.httpStatus < 500,
      configurable: true,
      writable: true,
    });
  }
  return error;
}

/** A JSON answer to a typed error a route handler let through: `{ error: { code, message } }`. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { error: { code: string; message: string } };
}

/**
 * The answer to a typed error: its `httpStatus` (an upstream 401/403 becomes 502), its `code`, its
 * message when it is a client error and a neutral one otherwise, `retry-after` when every
 * deployment was rate limited, and the decision trace when the error carries attempts.
 */
export function errorResponse(
  error: AiFailoverError,
  scrub: Scrubber,
  traceHeader: string | false,
): ErrorResponse {
  const problem = publicProblem(error, scrub);
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...problem.headers };
  const attempts = (error as { attempts?: unknown }).attempts;
  if (traceHeader && Array.isArray(attempts) && attempts.length > 0) {
    headers[traceHeader] = formatTrace(attempts as AttemptReport[]);
  }
  return { status: problem.status, headers, body: { error: { code: error.code, message: problem.message } } };
}
