import { type AiClient, AiFailoverError } from '@ai-failover/core';
import {
  createScrubber,
  DEFAULT_TRACE_HEADER,
  type ErrorResponse,
  errorResponse,
  type Scrubber,
} from '@ai-failover/core/http';
import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, Logger, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type Observable, throwError } from 'rxjs';
import { AI_FAILOVER_CLIENT } from './ai-failover.constants';
import { nodeResponse } from './node-message';

/** The HTTP answer to a typed error: status, headers and the OpenAI error body. */
export type AiFailoverErrorAnswer = ErrorResponse;

/**
 * The answer to a typed error, the one the Express and Koa adapters and the OpenAI-compatible
 * routes give: its `status`, the body `{ error: { message, type, param, code } }` with a neutral
 * message for server errors, `retry-after` when every deployment was rate limited, the decision
 * trace header and `cache-control: no-store`.
 */
export function aiFailoverErrorAnswer(
  error: AiFailoverError,
  scrub: Scrubber = createScrubber(),
): AiFailoverErrorAnswer {
  return errorResponse(error, scrub, DEFAULT_TRACE_HEADER);
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
 * 499 aborted) and the OpenAI error body `{ error: { message, type, param, code } }` (see
 * `aiFailoverErrorAnswer()`). Without it Nest's own filter still answers with the error's status
 * (the errors carry `statusCode` and `expose`), in Nest's body shape and without `retry-after`. Register it with `exceptionFilter: true` in `AiFailoverModule.forRoot()`,
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
