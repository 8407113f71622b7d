import { type AiClient, AiFailoverError, type AttemptReport } from '@ai-failover/core';
import { createScrubber, DEFAULT_TRACE_HEADER, errorResponse, type Scrubber } from '@ai-failover/core/http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type Observable, throwError } from 'rxjs';
import { AI_FAILOVER_CLIENT } from './ai-failover.constants';
import { nodeResponse } from './node-message';

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

/** The part of an Express response the filter answers through without an HTTP adapter. */
interface ExpressResponse {
  headersSent?: boolean;
  setHeader(name: string, value: string): unknown;
  status(code: number): ExpressResponse;
  json(body: unknown): unknown;
}

/** The part of a Fastify reply the filter answers through without an HTTP adapter. */
interface FastifyReply {
  sent: boolean;
  header(name: string, value: string): unknown;
  code(status: number): FastifyReply;
  send(body: unknown): unknown;
}

function isExpressResponse(value: unknown): value is ExpressResponse {
  const candidate = value as Partial<Record<keyof ExpressResponse, unknown>> | null;
  return typeof candidate?.status === 'function' && typeof candidate.json === 'function';
}

function isFastifyReply(value: unknown): value is FastifyReply {
  const candidate = value as Partial<Record<keyof FastifyReply, unknown>> | null;
  return (
    typeof candidate?.code === 'function' &&
    typeof candidate.send === 'function' &&
    typeof candidate.header === 'function'
  );
}

/**
 * Answers without an HTTP adapter (a filter created with `new`): through an Express response, a
 * Fastify reply, or else the Node.js response behind what the platform handed the filter.
 */
function answerDirectly(response: unknown, answer: AiFailoverErrorAnswer): void {
  const { status, headers, body } = answer;
  if (isExpressResponse(response)) {
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(status).json(body);
    return;
  }
  if (isFastifyReply(response)) {
    if (response.sent) return;
    for (const [name, value] of Object.entries(headers)) response.header(name, value);
    response.code(status).send(body);
    return;
  }
  const res = nodeResponse(response);
  if (!res) {
    throw new TypeError(
      'AiFailoverExceptionFilter cannot answer through this response: register it with DI (exceptionFilter: true, or @UseFilters(AiFailoverExceptionFilter)) so it uses the HTTP adapter',
    );
  }
  if (res.headersSent) return;
  const json = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(json));
  res.end(json);
}

/**
 * Answers ai-failover's typed errors with their HTTP status (400 invalid request, 404 unknown
 * model, the upstream 4xx or 502, 503 all attempts failed or client closed, 504 deadline exceeded,
 * 499 aborted) and a JSON body `{ statusCode, code, message, attempts? }` (see
 * `aiFailoverErrorAnswer()`). Register it with `exceptionFilter: true` in `AiFailoverModule.forRoot()`,
 * or on a controller or route with `@UseFilters(AiFailoverExceptionFilter)`. It answers through the
 * app's HTTP adapter (`HttpAdapterHost`), so on platform-express and platform-fastify alike; an
 * instance created with `new` answers through the Express response or the Fastify reply itself.
 * Outside HTTP the error is passed on unchanged.
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
    const response = host.switchToHttp().getResponse<unknown>();
    const answer = aiFailoverErrorAnswer(error, this.scrub);
    if (answer.status >= 500) this.logger.warn(`${error.code}: ${error.message}`);
    const adapter = this.adapterHost?.httpAdapter;
    if (!adapter) {
      answerDirectly(response, answer);
      return undefined;
    }
    if (adapter.isHeadersSent(response)) return undefined;
    for (const [name, value] of Object.entries(answer.headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, answer.body, answer.status);
    return undefined;
  }
}
