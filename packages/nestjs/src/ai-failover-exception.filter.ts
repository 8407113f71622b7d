import {
  type AiClient,
  AiFailoverError,
  type AttemptReport,
  createScrubber,
  DEFAULT_TRACE_HEADER,
  errorResponse,
  type Scrubber,
} from '@ai-failover/core';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type Observable, throwError } from 'rxjs';
import { AI_FAILOVER_CLIENT } from './ai-failover.constants';

/** One attempt as the client sees it: where it went and how it ended, without provider messages. */
export interface AiFailoverErrorAttempt {
  deployment: string;
  group: string;
  outcome: AttemptReport['outcome'];
  status?: number;
  latencyMs: number;
  retryAfterMs?: number;
}

/** The JSON body `AiFailoverExceptionFilter` answers with. */
export interface AiFailoverErrorBody {
  statusCode: number;
  /** Stable code, e.g. `AI_ALL_ATTEMPTS_FAILED`. */
  code: string;
  /** The error's message for a 4xx; a neutral one for a 5xx. No key, URL or address. */
  message: string;
  /** The attempts, when the error carries them. */
  attempts?: AiFailoverErrorAttempt[];
}

/** The HTTP answer to a typed error: status, headers and body. */
export interface AiFailoverErrorAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: AiFailoverErrorBody;
}

/**
 * The answer to a typed error, on the core's mapping shared with the Express and Koa adapters: its
 * `httpStatus` (an upstream 401/403 becomes 502: the provider refused this server's key, not the
 * caller's), a neutral message for server errors, `retry-after` when every deployment was rate
 * limited, the decision trace header, `cache-control: no-store`; plus the attempts in the body.
 */
export function aiFailoverErrorAnswer(
  error: AiFailoverError,
  scrub: Scrubber = createScrubber(),
): AiFailoverErrorAnswer {
  const mapped = errorResponse(error, scrub, DEFAULT_TRACE_HEADER);
  const body: AiFailoverErrorBody = {
    statusCode: mapped.status,
    code: error.code,
    message: mapped.body.error.message,
  };
  const attempts = (error as { attempts?: readonly AttemptReport[] }).attempts;
  if (Array.isArray(attempts) && attempts.length > 0) body.attempts = attempts.map(publicAttempt);
  return { status: mapped.status, headers: mapped.headers, body };
}

function publicAttempt(a: AttemptReport): AiFailoverErrorAttempt {
  const attempt: AiFailoverErrorAttempt = {
    deployment: a.deployment,
    group: a.group,
    outcome: a.outcome,
    latencyMs: a.latencyMs,
  };
  if (a.status !== undefined) attempt.status = a.status;
  if (a.retryAfterMs !== undefined) attempt.retryAfterMs = a.retryAfterMs;
  return attempt;
}

/** The part of an Express response the filter falls back to without an HTTP adapter. */
interface JsonResponse {
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  status(code: number): JsonResponse;
  json(body: unknown): unknown;
}

/**
 * Answers ai-failover's typed errors with their HTTP status (400 invalid request, 404 unknown
 * model, the upstream 4xx or 502, 503 all attempts failed or client closed, 504 deadline exceeded,
 * 499 aborted) and a JSON body `{ statusCode, code, message, attempts? }` (see
 * `aiFailoverErrorAnswer()`). Register it with `exceptionFilter: true` in `AiFailoverModule.forRoot()`,
 * or on a controller or route with `@UseFilters(AiFailoverExceptionFilter)`. Outside HTTP the error
 * is passed on unchanged.
 */
@Catch(AiFailoverError)
export class AiFailoverExceptionFilter implements ExceptionFilter<AiFailoverError> {
  private readonly logger = new Logger('AiFailover');
  private readonly scrub: Scrubber;

  constructor(
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() @Inject(AI_FAILOVER_CLIENT) client?: AiClient,
  ) {
    this.scrub = createScrubber(client);
  }

  catch(error: AiFailoverError, host: ArgumentsHost): Observable<never> | undefined {
    if (host.getType() !== 'http') return throwError(() => error);
    const response = host.switchToHttp().getResponse<JsonResponse>();
    const { status, headers, body } = aiFailoverErrorAnswer(error, this.scrub);
    if (status >= 500) this.logger.warn(`${error.code}: ${error.message}`);
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter) {
      if (adapter.isHeadersSent(response)) return undefined;
      for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
      adapter.reply(response, body, status);
      return undefined;
    }
    if (response.headersSent) return undefined;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(status).json(body);
    return undefined;
  }
}
