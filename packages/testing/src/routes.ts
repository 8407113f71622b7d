import { type Dialect, dialectError } from './dialects';
import { INVALID_JSON_MESSAGE } from './openai-errors';
import type { RecordedRequest } from './types';

/** An endpoint of the mock. */
export type Route =
  | { kind: 'chat' }
  | { kind: 'embeddings' }
  | { kind: 'models' }
  | { kind: 'model'; id: string }
  | { kind: 'messages' }
  | { kind: 'generate'; model: string; stream: boolean }
  | { kind: 'geminiModels' }
  | { kind: 'unknown' };

const MODEL_PREFIX = '/v1/models/';
const GEMINI = /^\/v1beta\/((?:models|tunedModels)\/[^/:]+):(generateContent|streamGenerateContent)$/;

/** The endpoint a request targets. */
export function resolveRoute(method: string, path: string): Route {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (method === 'POST' && normalized === '/v1/chat/completions') return { kind: 'chat' };
  if (method === 'POST' && normalized === '/v1/embeddings') return { kind: 'embeddings' };
  if (method === 'POST' && normalized === '/v1/messages') return { kind: 'messages' };
  if (method === 'GET' && normalized === '/v1/models') return { kind: 'models' };
  if (method === 'GET' && normalized === '/v1beta/models') return { kind: 'geminiModels' };
  if (method === 'GET' && normalized.startsWith(MODEL_PREFIX) && normalized.length > MODEL_PREFIX.length) {
    return { kind: 'model', id: decodeURIComponent(normalized.slice(MODEL_PREFIX.length)) };
  }
  const gemini = method === 'POST' ? GEMINI.exec(normalized) : null;
  if (gemini) {
    const name = decodeURIComponent(gemini[1]!);
    const model = name.startsWith('models/') ? name.slice('models/'.length) : name;
    return { kind: 'generate', model, stream: gemini[2] === 'streamGenerateContent' };
  }
  return { kind: 'unknown' };
}

/** The API a request speaks, by its path. */
export function dialectOf(path: string): Dialect {
  if (path.startsWith('/v1beta/')) return 'gemini';
  if (path === '/v1/messages' || path === '/v1/messages/') return 'anthropic';
  return 'openai';
}

/** `true` when `value` is a plain JSON object. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An error the real API would answer regardless of its health: unknown URL, body not JSON, unknown
 * model id, and what each native API requires (Anthropic: `anthropic-version`, `max_tokens`,
 * `messages`; Gemini: `contents`).
 */
export function routeError(
  request: RecordedRequest,
  models: readonly string[],
): { status: number; body: unknown } | undefined {
  const route = resolveRoute(request.method, request.path);
  const dialect = dialectOf(request.path);
  const invalid = (message: string) => ({ status: 400, body: dialectError(dialect, 400, { message }) });
  if (route.kind === 'unknown') {
    return {
      status: 404,
      body: dialectError(dialect, 404, { message: `Invalid URL (${request.method} ${request.path})` }),
    };
  }
  const posted = route.kind === 'chat' || route.kind === 'embeddings' || route.kind === 'messages';
  if ((posted || route.kind === 'generate') && !isJsonObject(request.body)) {
    return invalid(dialect === 'openai' ? INVALID_JSON_MESSAGE : 'The request body is not valid JSON.');
  }
  if (route.kind === 'model' && !models.includes(route.id)) {
    const message = `The model '${route.id}' does not exist`;
    return {
      status: 404,
      body: dialectError('openai', 404, { message, param: 'model', code: 'model_not_found' }),
    };
  }
  const body = request.body as Record<string, unknown>;
  if (route.kind === 'messages') {
    if (!request.headers['anthropic-version']) return invalid('anthropic-version: header is required');
    if (typeof body.max_tokens !== 'number') return invalid('max_tokens: Field required');
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return invalid('messages: Field required');
    if (typeof body.model !== 'string') return invalid('model: Field required');
  }
  if (route.kind === 'generate' && (!Array.isArray(body.contents) || body.contents.length === 0)) {
    return invalid('* GenerateContentRequest.contents: contents is not specified');
  }
  return undefined;
}
