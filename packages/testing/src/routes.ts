import { INVALID_JSON_MESSAGE, type OpenAiErrorBody, openAiError } from './openai-errors';
import type { RecordedRequest } from './types';

/** An endpoint of the mock. */
export type Route =
  | { kind: 'chat' }
  | { kind: 'embeddings' }
  | { kind: 'models' }
  | { kind: 'model'; id: string }
  | { kind: 'unknown' };

const MODEL_PREFIX = '/v1/models/';

/** The endpoint a request targets. */
export function resolveRoute(method: string, path: string): Route {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (method === 'POST' && normalized === '/v1/chat/completions') return { kind: 'chat' };
  if (method === 'POST' && normalized === '/v1/embeddings') return { kind: 'embeddings' };
  if (method === 'GET' && normalized === '/v1/models') return { kind: 'models' };
  if (method === 'GET' && normalized.startsWith(MODEL_PREFIX) && normalized.length > MODEL_PREFIX.length) {
    return { kind: 'model', id: decodeURIComponent(normalized.slice(MODEL_PREFIX.length)) };
  }
  return { kind: 'unknown' };
}

/** `true` when `value` is a plain JSON object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An error the real API would answer regardless of its health: unknown URL, body not JSON, unknown model id. */
export function routeError(
  request: RecordedRequest,
  models: readonly string[],
): { status: number; body: OpenAiErrorBody } | undefined {
  const route = resolveRoute(request.method, request.path);
  if (route.kind === 'unknown') {
    return {
      status: 404,
      body: openAiError(404, { message: `Invalid URL (${request.method} ${request.path})` }),
    };
  }
  if ((route.kind === 'chat' || route.kind === 'embeddings') && !isJsonObject(request.body)) {
    return { status: 400, body: openAiError(400, { message: INVALID_JSON_MESSAGE }) };
  }
  if (route.kind === 'model' && !models.includes(route.id)) {
    const message = `The model '${route.id}' does not exist`;
    return { status: 404, body: openAiError(404, { message, param: 'model', code: 'model_not_found' }) };
  }
  return undefined;
}
