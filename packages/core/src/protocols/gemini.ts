/**
 * Google's Gemini API (`POST {basePath}/models/{model}:generateContent`, streamed with
 * `:streamGenerateContent?alt=sse`), translated to and from chat completions: `contents` with the
 * `user`/`model` roles, `systemInstruction`, `generationConfig`, `tools.functionDeclarations` and
 * `toolConfig`; thoughts come back as `reasoning_content`; `RESOURCE_EXHAUSTED` waits its
 * `RetryInfo`, `UNAVAILABLE` fails over, and a rejected key fails over even though it is a 400.
 */
import { AttemptFailure } from '../engine/failure';
import { badResponse, type Classification, classifyStatus } from '../policies/classify';
import { parseRetryAfter } from '../policies/retry-after';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ResolvedProvider, Usage } from '../types';
import { baseHeaders, keyedHeaders } from './openai';
import {
  type ChatCall,
  type ContentPart,
  chunkOf,
  contentParts,
  functionTools,
  generatedId,
  isEmptyObject,
  isFalse,
  isOne,
  isTextOnly,
  isZero,
  maxTokensOf,
  never,
  nowSeconds,
  type PreparedChat,
  type ResponseHeaders,
  refuseFields,
  type StreamDecoder,
  StreamPayloadError,
  stopSequences,
  textOf,
  toolCallsOf,
  toolChoice,
  Unsupported,
  usageChunk,
  type WireProtocol,
} from './wire';

/** `finishReason` to `finish_reason` (`STOP` with function calls is `tool_calls`). */
export const GEMINI_FINISH_REASONS: Readonly<Record<string, string>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  LANGUAGE: 'content_filter',
  OTHER: 'stop',
  FINISH_REASON_UNSPECIFIED: 'stop',
};

/** Finish reasons that mean the model failed to produce a usable answer: the attempt fails. */
const BROKEN_FINISH = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL']);

/** Thinking budgets for `reasoning_effort` (tokens), as Google's OpenAI-compatible endpoint maps them. */
export const GEMINI_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  none: 0,
  minimal: 0,
  low: 1024,
  medium: 8192,
  high: 24576,
};

const REFUSED = {
  n: isOne,
  logprobs: isFalse,
  top_logprobs: isZero,
  logit_bias: isEmptyObject,
  modalities: isTextOnly,
  audio: never,
  prediction: never,
  web_search_options: never,
  functions: never,
  function_call: never,
  // Gemini has no switch for it: a model may answer with several calls.
  parallel_tool_calls: (value: unknown) => value === true,
};

type Part = Record<string, unknown>;
interface Content {
  role: 'user' | 'model';
  parts: Part[];
}

/** The generateContent body of a chat request (the model goes in the path). */
export function toGeminiRequest(request: ChatRequest): Record<string, unknown> {
  refuseFields(request, REFUSED);
  const body: Record<string, unknown> = {};
  const { system, contents } = convertMessages(request.messages);
  body.contents = contents;
  if (system.length > 0) body.systemInstruction = { parts: system };

  const config: Record<string, unknown> = {};
  const maxTokens = maxTokensOf(request);
  if (maxTokens !== undefined) config.maxOutputTokens = maxTokens;
  if (typeof request.temperature === 'number') config.temperature = request.temperature;
  if (typeof request.top_p === 'number') config.topP = request.top_p;
  if (typeof request.top_k === 'number') config.topK = request.top_k;
  if (typeof request.presence_penalty === 'number') config.presencePenalty = request.presence_penalty;
  if (typeof request.frequency_penalty === 'number') config.frequencyPenalty = request.frequency_penalty;
  if (typeof request.seed === 'number') config.seed = request.seed;
  const stop = stopSequences(request.stop);
  if (stop) config.stopSequences = stop;
  Object.assign(config, responseFormat(request.response_format));
  const effort = request.reasoning_effort;
  if (effort !== undefined && effort !== null) {
    const budget = typeof effort === 'string' ? GEMINI_THINKING_BUDGETS[effort] : undefined;
    if (budget === undefined) {
      throw new Unsupported(
        'reasoning_effort',
        `${JSON.stringify(effort)} is not none, minimal, low, medium or high`,
      );
    }
    config.thinkingConfig =
      budget === 0 ? { thinkingBudget: 0 } : { thinkingBudget: budget, includeThoughts: true };
  }
  if (Object.keys(config).length > 0) body.generationConfig = config;

  const tools = functionTools(request.tools);
  if (tools && tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: tools.map((tool) => ({
          name: tool.name,
          ...(tool.description === undefined ? {} : { description: tool.description }),
          ...(tool.parameters === undefined ? {} : { parametersJsonSchema: tool.parameters }),
        })),
      },
    ];
  }
  const choice = toolChoice(request.tool_choice);
  if (choice) {
    body.toolConfig = {
      functionCallingConfig:
        choice.mode === 'function'
          ? { mode: 'ANY', allowedFunctionNames: [choice.name] }
          : { mode: choice.mode === 'required' ? 'ANY' : choice.mode.toUpperCase() },
    };
  }
  return body;
}

function responseFormat(format: unknown): Record<string, unknown> {
  if (format === undefined || format === null) return {};
  const type = (format as { type?: unknown }).type;
  if (type === 'text') return {};
  if (type === 'json_object') return { responseMimeType: 'application/json' };
  if (type === 'json_schema') {
    const schema = (format as { json_schema?: { schema?: unknown } }).json_schema?.schema;
    if (!schema || typeof schema !== 'object') {
      throw new Unsupported('response_format.json_schema.schema', 'is required');
    }
    return { responseMimeType: 'application/json', responseJsonSchema: schema };
  }
  throw new Unsupported('response_format', `${JSON.stringify(type)} has no equivalent in the Gemini API`);
}

function convertMessages(input: ChatRequest['messages']): { system: Part[]; contents: Content[] } {
  const system: Part[] = [];
  const contents: Content[] = [];
  const toolNames = new Map<string, string>();
  let started = false;
  const add = (role: Content['role'], parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  for (let i = 0; i < input.length; i++) {
    const message = input[i]!;
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer': {
        if (started) {
          throw new Unsupported(
            `${at}.role`,
            'a system message after the conversation has started cannot be sent: Gemini takes one system instruction, before the contents',
          );
        }
        const text = textOf(message.content, `${at}.content`);
        if (text !== '') system.push({ text });
        break;
      }
      case 'user':
        started = true;
        add(
          'user',
          contentParts(message.content, `${at}.content`).flatMap((part, j) =>
            userPart(part, `${at}.content[${j}]`),
          ),
        );
        break;
      case 'assistant': {
        started = true;
        const parts: Part[] = [];
        const text =
          typeof message.content === 'string' ? message.content : textOf(message.content, `${at}.content`);
        if (text) parts.push({ text });
        for (const call of toolCallsOf(message, at)) {
          toolNames.set(call.id, call.name);
          parts.push({ functionCall: { name: call.name, args: call.input } });
        }
        add('model', parts);
        break;
      }
      case 'tool': {
        started = true;
        const id = message.tool_call_id;
        const name = typeof id === 'string' ? toolNames.get(id) : undefined;
        if (name === undefined) {
          throw new Unsupported(
            `${at}.tool_call_id`,
            'must name a tool call of an earlier assistant message',
          );
        }
        const content = textOf(message.content, `${at}.content`);
        add('user', [{ functionResponse: { name, response: { name, content } } }]);
        break;
      }
      default:
        throw new Unsupported(`${at}.role`, `${JSON.stringify(message.role)} messages cannot be sent`);
    }
  }
  return { system, contents };
}

function userPart(part: ContentPart, field: string): Part[] {
  switch (part.kind) {
    case 'text':
      return part.text === '' ? [] : [{ text: part.text }];
    case 'image':
      if (!part.data) {
        throw new Unsupported(`${field}.image_url.url`, 'only inline images (base64 data URLs) can be sent');
      }
      return [{ inlineData: { mimeType: part.data.mimeType, data: part.data.base64 } }];
    case 'audio':
    case 'file':
      return [{ inlineData: { mimeType: part.data.mimeType, data: part.data.base64 } }];
  }
}

/** `models/{model}`, or the model as given when it names its own collection (`tunedModels/x`). */
function modelPath(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

class GeminiChat implements PreparedChat {
  readonly #body: string;
  readonly #action: string;
  constructor(request: ChatRequest, streaming: boolean) {
    this.#body = JSON.stringify(toGeminiRequest(request));
    this.#action = streaming ? ':streamGenerateContent?alt=sse' : ':generateContent';
  }
  call(provider: ResolvedProvider, model: string): ChatCall {
    return { path: `${provider.basePath}/${modelPath(model)}${this.#action}`, body: this.#body };
  }
}

interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  totalTokenCount?: number;
}

/** Usage in chat-completions terms: thoughts count as completion (they are billed as output). */
export function geminiUsage(usage: UsageMetadata | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const prompt = usage.promptTokenCount ?? 0;
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const completion = (usage.candidatesTokenCount ?? 0) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** `finish_reason` of a candidate; throws an `AttemptFailure` for a broken function call. */
export function geminiFinishReason(reason: string, hasToolCalls: boolean, status = 200): string {
  if (BROKEN_FINISH.has(reason)) {
    throw new AttemptFailure(badResponse(`the model produced an unusable function call (${reason})`, status));
  }
  const mapped = GEMINI_FINISH_REASONS[reason] ?? 'stop';
  return mapped === 'stop' && hasToolCalls ? 'tool_calls' : mapped;
}

interface Candidate {
  content?: { parts?: Part[] };
  finishReason?: string;
}
interface GenerateContentResponse {
  candidates?: Candidate[];
  usageMetadata?: UsageMetadata;
  modelVersion?: string;
  responseId?: string;
  promptFeedback?: { blockReason?: string };
  error?: { code?: number; message?: string; status?: string };
}

/** A generateContent answer as a chat completion. */
export function fromGeminiResponse(body: unknown, model: string, status: number): ChatCompletion {
  const answer = body as GenerateContentResponse | null;
  if (!answer || typeof answer !== 'object')
    throw new AttemptFailure(badResponse('response is not an object', status));
  const candidate = answer.candidates?.[0];
  let finish: string;
  let text = '';
  let reasoning = '';
  const toolCalls: unknown[] = [];
  if (!candidate) {
    if (!answer.promptFeedback?.blockReason) {
      throw new AttemptFailure(badResponse('response has no candidates', status));
    }
    finish = 'content_filter';
  } else {
    for (const part of candidate.content?.parts ?? []) {
      if (typeof part.text === 'string') {
        if (part.thought === true) reasoning += part.text;
        else text += part.text;
      } else if (part.functionCall && typeof part.functionCall === 'object') {
        toolCalls.push(toolCall(part.functionCall as FunctionCall));
      }
    }
    finish = geminiFinishReason(candidate.finishReason ?? 'STOP', toolCalls.length > 0, status);
  }
  const reply: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) reply.tool_calls = toolCalls;
  if (reasoning !== '') reply.reasoning_content = reasoning;
  const completion: ChatCompletion = {
    id: answer.responseId ?? generatedId('gen'),
    object: 'chat.completion',
    created: nowSeconds(),
    model: answer.modelVersion ?? model,
    choices: [{ index: 0, message: reply, logprobs: null, finish_reason: finish }],
  };
  const usage = geminiUsage(answer.usageMetadata);
  if (usage) completion.usage = usage;
  return completion;
}

interface FunctionCall {
  id?: string;
  name?: string;
  args?: unknown;
}

function toolCall(call: FunctionCall): Record<string, unknown> {
  return {
    id: typeof call.id === 'string' && call.id ? call.id : generatedId('call'),
    type: 'function',
    function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
  };
}

/**
 * Streamed `GenerateContentResponse`s as chat-completion chunks: text and thoughts as deltas, each
 * function call whole (Gemini sends them whole), then the finish chunk and the usage chunk.
 */
export class GeminiStreamDecoder implements StreamDecoder {
  readonly #model: string;
  #id = '';
  readonly #created = nowSeconds();
  #started = false;
  #tools = 0;
  #usage: UsageMetadata | undefined;
  #finished = false;

  constructor(model: string) {
    this.#model = model;
  }

  get complete(): boolean {
    return this.#finished;
  }

  decode(_event: string, data: string, push: (chunk: ChatCompletionChunk) => void): void {
    let answer: GenerateContentResponse;
    try {
      answer = JSON.parse(data) as GenerateContentResponse;
    } catch {
      throw new SyntaxError('stream event is not valid JSON');
    }
    if (answer.error && typeof answer.error === 'object') throw streamError(answer.error);
    if (!this.#started) {
      this.#started = true;
      this.#id = answer.responseId ?? generatedId('gen');
      push(this.#chunk({ role: 'assistant', content: '' }, null, answer));
    }
    if (answer.usageMetadata) this.#usage = answer.usageMetadata;
    const candidate = answer.candidates?.[0];
    if (!candidate) {
      if (answer.promptFeedback?.blockReason) this.#finish('content_filter', push, answer);
      return;
    }
    for (const part of candidate.content?.parts ?? []) {
      if (typeof part.text === 'string' && part.text !== '') {
        push(
          this.#chunk(
            part.thought === true ? { reasoning_content: part.text } : { content: part.text },
            null,
            answer,
          ),
        );
      } else if (part.functionCall && typeof part.functionCall === 'object') {
        const call = toolCall(part.functionCall as FunctionCall);
        push(this.#chunk({ tool_calls: [{ index: this.#tools++, ...call }] }, null, answer));
      }
    }
    if (candidate.finishReason) {
      this.#finish(geminiFinishReason(candidate.finishReason, this.#tools > 0), push, answer);
    }
  }

  #finish(reason: string, push: (chunk: ChatCompletionChunk) => void, answer: GenerateContentResponse): void {
    this.#finished = true;
    push(this.#chunk({}, reason, answer));
    push(usageChunk(this.#id, this.#created, answer.modelVersion ?? this.#model, geminiUsage(this.#usage)));
  }

  #chunk(
    delta: ChatCompletionChunk['choices'][number]['delta'],
    finish: string | null,
    answer: GenerateContentResponse,
  ): ChatCompletionChunk {
    return chunkOf(this.#id, this.#created, answer.modelVersion ?? this.#model, delta, finish);
  }
}

function streamError(error: NonNullable<GenerateContentResponse['error']>): Error {
  const message = typeof error.message === 'string' ? error.message : 'error in stream';
  const rpc = typeof error.status === 'string' ? error.status : undefined;
  if (rpc === 'UNAVAILABLE' || rpc === 'RESOURCE_EXHAUSTED') {
    return new AttemptFailure({
      outcome: rpc === 'UNAVAILABLE' ? 'server_error' : 'rate_limited',
      verdict: 'failover',
      message,
      providerCode: rpc,
    });
  }
  return new StreamPayloadError(message, rpc);
}

interface GeminiError {
  code?: unknown;
  message?: unknown;
  status?: unknown;
  details?: unknown;
}

function parseGeminiError(text: string): GeminiError | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    const root = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: unknown } | null;
    return root && typeof root.error === 'object' && root.error !== null
      ? (root.error as GeminiError)
      : undefined;
  } catch {
    return undefined;
  }
}

function details(error: GeminiError | undefined): Array<Record<string, unknown>> {
  return Array.isArray(error?.details) ? (error.details as Array<Record<string, unknown>>) : [];
}

/** `RetryInfo.retryDelay` (`"37s"`, `"0.5s"`) in ms. */
export function geminiRetryDelayMs(error: GeminiError | undefined): number | undefined {
  for (const detail of details(error)) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const match = /^(\d+(?:\.\d+)?)s$/.exec(String(detail.retryDelay ?? ''));
    if (match) return Math.ceil(Number(match[1]) * 1000);
  }
  return undefined;
}

const CONTEXT_PATTERN = /input token count.*exceeds|exceeds the maximum number of tokens/i;

/**
 * Gemini's errors (`{ error: { code, message, status, details } }`): `RESOURCE_EXHAUSTED` is a rate
 * limit (its `RetryInfo` says how long), `UNAVAILABLE` fails over at once, an invalid key is a
 * 400 `API_KEY_INVALID` that cools the key down and fails over, `FAILED_PRECONDITION` (region or
 * billing) is the account's; the rest as for any provider.
 */
export function classifyGemini(status: number, headers: ResponseHeaders, text: string): Classification {
  const error = parseGeminiError(text);
  const message =
    (typeof error?.message === 'string' && error.message) || text.slice(0, 500).trim() || `HTTP ${status}`;
  const rpc = typeof error?.status === 'string' ? error.status : undefined;
  const base = { status, message, ...(rpc === undefined ? {} : { providerCode: rpc }) };
  if (rpc === 'RESOURCE_EXHAUSTED' || status === 429) {
    const retryAfterMs = parseRetryAfter(headers) ?? geminiRetryDelayMs(error);
    return {
      ...base,
      outcome: 'rate_limited',
      verdict: 'rate-limited',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      keyFault: 'rate',
    };
  }
  const keyInvalid =
    details(error).some((d) => d.reason === 'API_KEY_INVALID') || /API key not valid/i.test(message);
  if (keyInvalid || rpc === 'FAILED_PRECONDITION') {
    return { ...base, outcome: 'auth_error', verdict: 'failover', keyFault: 'auth' };
  }
  if (rpc === 'UNAVAILABLE' || status === 503) {
    return { ...base, outcome: 'server_error', verdict: 'failover' };
  }
  if (status === 400 && CONTEXT_PATTERN.test(message)) {
    return { ...base, outcome: 'context_length', verdict: 'context' };
  }
  return classifyStatus(status, headers, { message, ...(rpc === undefined ? {} : { code: rpc }) });
}

export const geminiProtocol: WireProtocol = {
  name: 'gemini',
  embeddings: false,
  headers: (provider) => keyedHeaders(baseHeaders(provider), provider.keys, 'x-goog-api-key'),
  prepareChat: (request, streaming) => new GeminiChat(request, streaming),
  readChat: fromGeminiResponse,
  streamDecoder: (model) => new GeminiStreamDecoder(model),
  classify: classifyGemini,
};
