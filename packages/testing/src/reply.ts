import { anthropicEvents, anthropicMessage, anthropicModels, anthropicPromptTokens } from './anthropic';
import { type ChatReplyInput, chatCompletion, chatCompletionChunks, replyToolCalls } from './chat';
import { embeddingsResponse } from './embeddings';
import type { MockToolCall, Usage } from './fault-types';
import { geminiEvents, geminiModels, geminiPromptTokens, geminiResponse } from './gemini';
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
  toolCalls?: MockToolCall[];
  reasoning?: string;
}

function json(status: number, body: unknown): Reply {
  return { kind: 'json', status, body: JSON.stringify(body) };
}

/** What every API's reply is built from: tool calls leave out the default text. */
function replyInput(
  request: RecordedRequest,
  settings: ReplySettings,
  overrides: ReplyOverrides,
  idPrefix: string,
  promptTokens: number,
): ChatReplyInput {
  const toolCalls = replyToolCalls(overrides.toolCalls);
  return {
    id: `${idPrefix}-${settings.name}-${request.id}`,
    created: Math.floor(request.receivedAt / 1000),
    model: request.model ?? settings.models[0] ?? 'mock-model',
    content: overrides.content ?? (toolCalls.length > 0 ? '' : settings.content),
    promptTokens,
    usage: overrides.usage,
    toolCalls,
    reasoning: overrides.reasoning,
  };
}

function chatReply(
  request: RecordedRequest,
  body: Record<string, unknown>,
  settings: ReplySettings,
  overrides: ReplyOverrides,
): Reply {
  const input = replyInput(request, settings, overrides, 'chatcmpl', countPromptTokens(body.messages));
  if (!request.stream) return json(200, chatCompletion(input));
  const options = body.stream_options;
  const includeUsage = isJsonObject(options) && options.include_usage === true;
  const events = chatCompletionChunks(input, includeUsage).map((chunk) => sseEvent(JSON.stringify(chunk)));
  return { kind: 'sse', events: [...events, SSE_DONE] };
}

/** The reply a healthy API (OpenAI, Anthropic or Gemini, by the path) would send to `request`. */
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
    case 'messages': {
      const input = replyInput(request, settings, overrides, 'msg', anthropicPromptTokens(body));
      return request.stream
        ? { kind: 'sse', events: anthropicEvents(input) }
        : json(200, anthropicMessage(input));
    }
    case 'generate': {
      const input = replyInput(request, settings, overrides, 'gen', geminiPromptTokens(body));
      return request.stream ? { kind: 'sse', events: geminiEvents(input) } : json(200, geminiResponse(input));
    }
    case 'embeddings':
      return json(200, embeddingsResponse(body, model, settings.embeddingDimensions));
    case 'models':
      return json(
        200,
        request.headers['anthropic-version']
          ? anthropicModels(settings.models)
          : modelsList(settings.models, settings.name),
      );
    case 'geminiModels':
      return json(200, geminiModels(settings.models));
    case 'model':
      return json(200, modelObject(route.id, settings.name));
    default:
      return json(404, {});
  }
}
