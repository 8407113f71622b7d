/**
 * OpenAI-compatible routes over the client: chat completions (JSON and SSE), embeddings, models.
 * The `model` of a request names a model group. Every response carries the decision trace, the
 * answering deployment and the request id; errors use the OpenAI error shape.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { AiFailoverError } from '../errors';
import type { CallOptions, ChatRequest, EmbeddingsRequest } from '../types';
import { assertJsonContentType, readJsonBody } from './body';
import type { HttpContext } from './context';
import type { ResolvedOpenAiRoutes } from './options';
import { HttpProblem, openAiErrorBody, problemFor } from './problem';
import { isGone, SSE_HEADERS, sendJson, writeEvent } from './respond';
import { requestSignal } from './signal';
import {
  formatTrace,
  headerSafe,
  newTrace,
  type Trace,
  traceFromError,
  traceFromReport,
  traceFromStream,
} from './trace';

/** A route of the OpenAI-compatible API. */
export type OpenAiRouteKind = 'chat' | 'embeddings' | 'models' | 'model';

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
  parsedBody: unknown,
  modelId?: string,
): Promise<void> {
  const trace = newTrace();
  return (async () => {
    try {
      if (kind === 'chat' || kind === 'embeddings') assertJsonContentType(req);
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
        case 'embeddings':
          return await serveCall(ctx, routes, kind, req, res, subject, parsedBody, trace);
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
  kind: 'chat' | 'embeddings',
  req: IncomingMessage,
  res: ServerResponse,
  subject: S,
  parsedBody: unknown,
  trace: Trace,
): Promise<void> {
  const body = await readJsonBody(req, routes.bodyLimit, parsedBody, routes.bodyTimeoutMs);
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
  const watch = requestSignal(req, res);
  const options: CallOptions = { signal: watch.signal };
  if (model !== undefined) options.model = model;
  if (affinityKey !== undefined) options.affinityKey = affinityKey;
  try {
    if (kind === 'embeddings') {
      const { response, report } = await ctx.client.embeddings(request as EmbeddingsRequest, options);
      traceFromReport(trace, report);
      return sendJson(req, res, 200, response, headersOf(ctx, trace));
    }
    if (request.stream === true) return await streamChat(ctx, res, request as ChatRequest, options, trace);
    const { response, report } = await ctx.client.chat(request as ChatRequest, options);
    traceFromReport(trace, report);
    sendJson(req, res, 200, response, headersOf(ctx, trace));
  } finally {
    watch.dispose();
  }
}

/**
 * Streams a chat completion as server-sent events. The stream is open only once a deployment has
 * sent content, so the trace is complete when the headers go out. A failure after that ends the
 * stream with an `event: error` and no `[DONE]`, so the client knows its answer is incomplete.
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
  if (isGone(res)) {
    stream.abort();
    return;
  }
  res.writeHead(200, { ...headersOf(ctx, trace), ...SSE_HEADERS });
  res.flushHeaders();
  let failure: unknown;
  try {
    for await (const chunk of stream) {
      if (isGone(res)) break;
      await writeEvent(res, JSON.stringify(chunk));
    }
  } catch (error) {
    failure = error;
  }
  if (isGone(res)) {
    stream.abort();
    return;
  }
  if (failure === undefined) {
    res.end('data: [DONE]\n\n');
    return;
  }
  const problem = problemFor(failure, ctx.scrub);
  res.end(`event: error\ndata: ${JSON.stringify(openAiErrorBody(problem))}\n\n`);
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
