import { type ChatReplyInput, chatCompletion, chatCompletionChunks } from './chat';
import { embeddingsResponse } from './embeddings';
import type { Usage } from './fault-types';
import { modelObject, modelsList } from './models';
import { isJsonObject, resolveRoute, routeError } from './routes';
import { SSE_DONE, sseEvent } from './sse';
import { countPromptTokens } from './tokens';
import type { RecordedRequest } from './types';

/** A response body ready to send: one JSON document, or a list of server-sent events. */
export type Reply = { kind: 'json'; status: number; body: string } | { kind: 'sse'; events: string[] };

/** The provider settings a reply depends on. */
export interface ReplySettings {
  name: string;
  models: readonly string[];
  content: string;
  embeddingDimensions: number;
}

/** Overrides of the healthy reply. */
export interface ReplyOverrides {
  content?: string;
  usage?: Partial<Usage>;
}

function json(status: number, body: unknown): Reply {
  return { kind: 'json', status, body: JSON.stringify(body) };
}

function chatReply(
  request: RecordedRequest,
  body: Record<string, unknown>,
  settings: ReplySettings,
  overrides: ReplyOverrides,
): Reply {
  const input: ChatReplyInput = {
    id: `chatcmpl-${settings.name}-${request.id}`,
    created: Math.floor(request.receivedAt / 1000),
    model: request.model ?? settings.models[0] ?? 'mock-model',
    content: overrides.content ?? settings.content,
    promptTokens: countPromptTokens(body.messages),
    usage: overrides.usage,
  };
  if (!request.stream) return json(200, chatCompletion(input));
  const options = body.stream_options;
  const includeUsage = isJsonObject(options) && options.include_usage === true;
  const events = chatCompletionChunks(input, includeUsage).map((chunk) => sseEvent(JSON.stringify(chunk)));
  return { kind: 'sse', events: [...events, SSE_DONE] };
}

/** The reply a healthy OpenAI API would send to `request`. */
export function healthyReply(
  request: RecordedRequest,
  settings: ReplySettings,
  overrides: ReplyOverrides = {},
): Reply {
  const error = routeError(request, settings.models);
  if (error) return json(error.status, error.body);
  const route = resolveRoute(request.method, request.path);
  const body = isJsonObject(request.body) ? request.body : {};
  const model = request.model ?? settings.models[0] ?? 'mock-model';
  switch (route.kind) {
    case 'chat':
      return chatReply(request, body, settings, overrides);
    case 'embeddings':
      return json(200, embeddingsResponse(body, model, settings.embeddingDimensions));
    case 'models':
      return json(200, modelsList(settings.models, settings.name));
    case 'model':
      return json(200, modelObject(route.id, settings.name));
    default:
      return json(404, {});
  }
}
