/**
 * OpenAI-compatible routes over the client: chat completions (JSON and SSE), the Responses API
 * (translated onto chat completions, see `responses.ts`), embeddings, models, and an OpenAI-shaped
 * 404 for any other path under the prefix.
 * The `model` of a request names a model group. Every response carries the decision trace, the
 * answering deployment and the request id; errors use the OpenAI error shape.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { KEEP_TEXT, textOf } from '../engine/answer-text';
import type { AbortLike } from '../engine/signal';
import { AiFailoverError } from '../errors';
import type { CallOptions, ChatCompletionChunk, ChatRequest, EmbeddingsRequest } from '../types';
import { assertJsonContentType, readJsonBody } from './body';
import { pipeChatSse, type SseEvent, writeSse } from './chat-sse';
import type { HttpContext } from './context';
import type { ResolvedOpenAiRoutes } from './options';
import { bodyParserProblem, HttpProblem, openAiErrorBody, problemFor } from './problem';
import { isGone, sendJson, sendText } from './respond';
import { chatFromResponses, type ResponseEvent, ResponsesStream, responseFromChat } from './responses';
import { watchResponse } from './signal';
import {
  formatTrace,
  headerSafe,
  newTrace,
  type Trace,
  traceFromError,
  traceFromReport,
  traceFromStream,
} from './trace';

/**
 * The options of the routes' own calls: the response's disconnect watch as the bound signal, and
 * the upstream's text kept, so an answer that passes through unchanged is sent as the upstream's
 * bytes (see `engine/answer-text.ts`).
 */
type RouteCallOptions = CallOptions & { boundSignal: AbortLike; [KEEP_TEXT]: true };

const JSON_TYPE = 'application/json; charset=utf-8';

/** A route of the OpenAI-compatible API. */
export type OpenAiRouteKind = 'chat' | 'responses' | 'embeddings' | 'models' | 'model' | 'notFound';

/** Where a request's body comes from: a body parser's result or error, else the request itself. */
export interface BodySource {
  /** What a body parser read (`req.body`, `ctx.request.body`). */
  readonly body?: unknown;
  /** The error a body parser raised reading it. */
  readonly bodyError?: unknown;
}

/** OpenAI's model object, as `GET /models` lists it. */
export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * Serves one OpenAI-compatible route. Answers every expected failure itself; rejects only with an
 * unexpected error, and only while nothing has been sent (the adapter passes it on, e.g. to `next`).
 */
export function serveOpenAi<S>(
  ctx: HttpContext<S>,
  routes: ResolvedOpenAiRoutes<S>,
  kind: OpenAiRouteKind,
  req: IncomingMessage,
  res: ServerResponse,
  subject: S,
  body: BodySource,
  modelId?: string,
): Promise<void> {
  const trace = newTrace();
  return (async () => {
    try {
      if (kind === 'notFound') throw unknownUrl(req);
      if (kind === 'chat' || kind === 'embeddings' || kind === 'responses') assertJsonContentType(req);
      await authorize(ctx, routes, subject);
      switch (kind) {
        case 'models':
          return sendJson(
            req,
            res,
            200,
            { object: 'list', data: listModels(ctx, routes) },
            headersOf(ctx, trace),
          );
        case 'model':
          return serveModel(ctx, routes, req, res, trace, modelId ?? '');
        case 'chat':
        case 'responses':
        case 'embeddings':
          return await serveCall(ctx, routes, kind, req, res, subject, body, trace);
      }
    } catch (error) {
      if (!(error instanceof AiFailoverError || error instanceof HttpProblem)) {
        if (!res.headersSent) throw error;
        ctx.logger?.error?.('ai-failover route failed after its response started', {
          error: ctx.scrub(String(error)),
        });
        res.destroy();
        return;
      }
      traceFromError(trace, error);
      answerError(ctx, req, res, trace, error);
    }
  })();
}

async function authorize<S>(ctx: HttpContext<S>, routes: ResolvedOpenAiRoutes<S>, subject: S): Promise<void> {
  let allowed: boolean;
  try {
    allowed = (await routes.authorize(subject)) === true;
  } catch (error) {
    ctx.logger?.error?.('ai-failover openai.authorize() threw; answering 500', { error: String(error) });
    throw new HttpProblem({ status: 500, code: 'internal_error', message: 'Internal error', param: null });
  }
  if (!allowed) {
    throw new HttpProblem({
      status: 401,
      code: 'unauthorized',
      message: 'The request is not authorized to use this API',
      param: null,
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
}

async function serveCall<S>(
  ctx: HttpContext<S>,
  routes: ResolvedOpenAiRoutes<S>,
  kind: 'chat' | 'responses' | 'embeddings',
  req: IncomingMessage,
  res: ServerResponse,
  subject: S,
  source: BodySource,
  trace: Trace,
): Promise<void> {
  if (source.bodyError !== undefined) throw bodyParserProblem(source.bodyError) ?? source.bodyError;
  const body = await readJsonBody(req, routes.bodyLimit, source.body, routes.bodyTimeoutMs);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem({
      status: 400,
      code: 'invalid_request',
      message: 'The request body must be a JSON object',
      param: null,
    });
  }
  const request = body as Record<string, unknown>;
  const model = modelOf(ctx, routes, request.model);
  const affinityKey = affinityOf(ctx, subject, req);
  const watch = watchResponse(req, res);
  const options: RouteCallOptions = { boundSignal: watch.signal, [KEEP_TEXT]: true };
  if (model !== undefined) options.model = model;
  if (affinityKey !== undefined) options.affinityKey = affinityKey;
  try {
    if (kind === 'embeddings') {
      const { response, report } = await ctx.client.embeddings(request as EmbeddingsRequest, options);
      traceFromReport(trace, report);
      return sendAnswer(req, res, response, headersOf(ctx, trace));
    }
    if (kind === 'responses') return await serveResponses(ctx, req, res, request, options, trace);
    if (request.stream === true) return await streamChat(ctx, res, request as ChatRequest, options, trace);
    const { response, report } = await ctx.client.chat(request as ChatRequest, options);
    traceFromReport(trace, report);
    sendAnswer(req, res, response, headersOf(ctx, trace));
  } finally {
    watch.dispose();
  }
}

/** A 200 with an answer: the upstream's own text when it was kept, else the answer serialized. */
function sendAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  answer: object,
  headers: OutgoingHttpHeaders,
): void {
  const text = textOf(answer);
  if (text === undefined) sendJson(req, res, 200, answer, headers);
  else sendText(req, res, 200, text, JSON_TYPE, headers);
}

/**
 * Streams a chat completion as server-sent events (`ChatStream.pipeSse`: `[DONE]` at a clean end,
 * `event: error` and no `[DONE]` after a failure, so the client knows its answer is incomplete).
 * The stream is open only once a deployment has sent content, so the trace is complete when the
 * headers go out.
 */
async function streamChat<S>(
  ctx: HttpContext<S>,
  res: ServerResponse,
  request: ChatRequest,
  options: CallOptions,
  trace: Trace,
): Promise<void> {
  const stream = await ctx.client.chatStream(request, options);
  traceFromStream(trace, stream);
  await pipeChatSse(stream, res, {}, ctx.scrub, headersOf(ctx, trace));
}

/**
 * The Responses API over chat completions. A stream opens only once a deployment has sent content
 * (as for chat); a failure after that ends it with an `error` event and `response.failed`.
 */
async function serveResponses<S>(
  ctx: HttpContext<S>,
  req: IncomingMessage,
  res: ServerResponse,
  body: Record<string, unknown>,
  options: CallOptions,
  trace: Trace,
): Promise<void> {
  const chat = chatFromResponses(body);
  if (body.stream !== true) {
    const { response, report } = await ctx.client.chat(chat, options);
    traceFromReport(trace, report);
    return sendJson(req, res, 200, responseFromChat(body, response), headersOf(ctx, trace));
  }
  chat.stream_options = { include_usage: true };
  const stream = await ctx.client.chatStream(chat, options);
  traceFromStream(trace, stream);
  const model = typeof body.model === 'string' ? body.model : ctx.client.config.defaultModel;
  const events = responseEvents(ctx, stream, new ResponsesStream(body, model));
  await writeSse(res, events, () => stream.abort(), headersOf(ctx, trace));
}

/** The Responses events of a chat stream: `event: <type>` each, its data the event as JSON. */
async function* responseEvents<S>(
  ctx: HttpContext<S>,
  stream: AsyncIterable<ChatCompletionChunk>,
  events: ResponsesStream,
): AsyncGenerator<SseEvent, void, undefined> {
  yield* sseOf(events.start());
  try {
    for await (const chunk of stream) yield* sseOf(events.push(chunk));
  } catch (error) {
    const problem = problemFor(error, ctx.scrub);
    yield* sseOf(events.fail({ code: problem.code, message: problem.message, type: problem.type }));
    return;
  }
  yield* sseOf(events.finish());
}

function* sseOf(events: readonly ResponseEvent[]): Generator<SseEvent, void, undefined> {
  for (const event of events) yield { event: event.type, data: JSON.stringify(event) };
}

/** A 404 for a path under the prefix that no route serves, as the OpenAI API answers it. */
function unknownUrl(req: IncomingMessage): HttpProblem {
  const path = (req.url ?? '/').split('?')[0];
  return new HttpProblem({
    status: 404,
    code: 'unknown_url',
    message: `Unknown request URL: ${req.method ?? 'GET'} ${path}. Served here: chat/completions, responses, embeddings, models.`,
    param: null,
  });
}

function serveModel<S>(
  ctx: HttpContext<S>,
  routes: ResolvedOpenAiRoutes<S>,
  req: IncomingMessage,
  res: ServerResponse,
  trace: Trace,
  id: string,
): void {
  const model = listModels(ctx, routes).find((m) => m.id === id);
  if (!model) throw modelNotFound(ctx, routes, id);
  sendJson(req, res, 200, model, headersOf(ctx, trace));
}

function listModels<S>(ctx: HttpContext<S>, routes: ResolvedOpenAiRoutes<S>): OpenAiModel[] {
  return exposedModels(ctx, routes).map((id) => ({
    id,
    object: 'model',
    created: ctx.createdAt,
    owned_by: 'ai-failover',
  }));
}

function exposedModels<S>(ctx: HttpContext<S>, routes: ResolvedOpenAiRoutes<S>): string[] {
  const all = ctx.client.models;
  return routes.exposed ? all.filter((m) => routes.exposed!.has(m)) : all;
}

/** The model group a request names; `undefined` leaves the client's default. */
function modelOf<S>(
  ctx: HttpContext<S>,
  routes: ResolvedOpenAiRoutes<S>,
  value: unknown,
): string | undefined {
  if (value === undefined) {
    if (routes.exposed && !routes.exposed.has(ctx.client.config.defaultModel)) {
      throw new HttpProblem({
        status: 400,
        code: 'invalid_request',
        message: 'model: is required',
        param: 'model',
      });
    }
    return undefined;
  }
  if (typeof value !== 'string' || value === '') {
    throw new HttpProblem({
      status: 400,
      code: 'invalid_request',
      message: 'model: must be a non-empty string naming a model',
      param: 'model',
    });
  }
  if (routes.exposed && !routes.exposed.has(value)) throw modelNotFound(ctx, routes, value);
  return value;
}

function modelNotFound<S>(ctx: HttpContext<S>, routes: ResolvedOpenAiRoutes<S>, id: string): HttpProblem {
  return new HttpProblem({
    status: 404,
    code: 'model_not_found',
    message: `The model "${id}" does not exist. Available models: ${exposedModels(ctx, routes).join(', ') || '(none)'}`,
    param: 'model',
  });
}

function affinityOf<S>(ctx: HttpContext<S>, subject: S, req: IncomingMessage): string | undefined {
  const read = ctx.options.affinityKey;
  if (!read) return undefined;
  try {
    return read(subject, req);
  } catch (error) {
    ctx.logger?.error?.('ai-failover affinityKey() threw; answering 500', { error: String(error) });
    throw new HttpProblem({ status: 500, code: 'internal_error', message: 'Internal error', param: null });
  }
}

function answerError<S>(
  ctx: HttpContext<S>,
  req: IncomingMessage,
  res: ServerResponse,
  trace: Trace,
  error: AiFailoverError | HttpProblem,
): void {
  if (isGone(res)) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const problem = problemFor(error, ctx.scrub);
  const headers = headersOf(ctx, trace);
  if (problem.headers) Object.assign(headers, problem.headers);
  sendJson(req, res, problem.status, openAiErrorBody(problem), headers);
}

/** The trace, deployment and request-id headers of a response. */
function headersOf<S>(ctx: HttpContext<S>, trace: Trace): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'cache-control': 'no-store',
    [ctx.options.traceHeader]: formatTrace(trace.attempts),
    'x-request-id': headerSafe(trace.requestId ?? `afo_http_${randomUUID()}`),
  };
  if (trace.deployment) headers['x-ai-failover-deployment'] = headerSafe(trace.deployment);
  return headers;
}
