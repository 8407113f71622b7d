/**
 * Anthropic's Messages API (`POST {basePath}/messages`), translated to and from chat completions:
 * the system prompt goes top-level, tool calls and results become `tool_use` / `tool_result`
 * blocks, `max_tokens` gets a documented default, thinking comes back as `reasoning_content`, and
 * `overloaded_error` (529) fails over at once.
 */
import { AttemptFailure } from '../engine/failure';
import { badResponse, type Classification, classifyStatus } from '../policies/classify';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ResolvedProvider, Usage } from '../types';
import { baseHeaders, keyedHeaders, parseErrorBody, withModel } from './openai';
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

/** The API version sent in `anthropic-version` (a provider's `headers` may override it). */
export const ANTHROPIC_VERSION = '2023-06-01';

/** `max_tokens` sent when the request names none (the Messages API requires one). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/** Thinking budgets for `reasoning_effort` (tokens); `minimal` and `none` turn thinking off. */
export const ANTHROPIC_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  low: 1024,
  medium: 2048,
  high: 4096,
};

/** `stop_reason` to `finish_reason`; anything else is `stop`. */
export const ANTHROPIC_FINISH_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
};

/** Fields with no equivalent: refused unless they hold their neutral value. */
const REFUSED = {
  n: isOne,
  logprobs: isFalse,
  top_logprobs: isZero,
  logit_bias: isEmptyObject,
  presence_penalty: isZero,
  frequency_penalty: isZero,
  modalities: isTextOnly,
  audio: never,
  prediction: never,
  web_search_options: never,
  functions: never,
  function_call: never,
};

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/** The Messages API body of a chat request (without `model`). */
export function toAnthropicRequest(request: ChatRequest, streaming: boolean): Record<string, unknown> {
  refuseFields(request, REFUSED);
  const format = (request.response_format as { type?: unknown } | undefined)?.type;
  if (format !== undefined && format !== 'text') {
    throw new Unsupported(
      'response_format',
      `${JSON.stringify(format)} has no equivalent in the Messages API`,
    );
  }
  const body: Record<string, unknown> = {};
  const { system, messages } = convertMessages(request.messages);
  if (system.length > 0) body.system = system;
  body.messages = messages;

  const budget = thinkingBudget(request.reasoning_effort);
  const maxTokens = maxTokensOf(request);
  if (budget !== undefined && maxTokens !== undefined && maxTokens <= budget) {
    throw new Unsupported(
      'max_tokens',
      `must be larger than the thinking budget (${budget}) that reasoning_effort ${JSON.stringify(request.reasoning_effort)} asks for`,
    );
  }
  body.max_tokens = maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS + (budget ?? 0);
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
  else if (request.thinking && typeof request.thinking === 'object') body.thinking = request.thinking;

  const stop = stopSequences(request.stop);
  if (stop) body.stop_sequences = stop;
  if (typeof request.temperature === 'number') body.temperature = request.temperature;
  if (typeof request.top_p === 'number') body.top_p = request.top_p;
  if (typeof request.top_k === 'number') body.top_k = request.top_k;
  if (typeof request.user === 'string') body.metadata = { user_id: request.user };

  const tools = functionTools(request.tools);
  if (tools) {
    body.tools = tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: tool.parameters ?? { type: 'object', properties: {} },
    }));
  }
  const choice = toolChoice(request.tool_choice);
  const serial = request.parallel_tool_calls === false;
  if (choice || serial) {
    const mapped: Record<string, unknown> =
      choice?.mode === 'function'
        ? { type: 'tool', name: choice.name }
        : { type: choice?.mode === 'required' ? 'any' : (choice?.mode ?? 'auto') };
    if (serial && mapped.type !== 'none') mapped.disable_parallel_tool_use = true;
    body.tool_choice = mapped;
  }
  if (streaming) body.stream = true;
  return body;
}

function thinkingBudget(effort: unknown): number | undefined {
  if (effort === undefined || effort === null || effort === 'none' || effort === 'minimal') return undefined;
  const budget = typeof effort === 'string' ? ANTHROPIC_THINKING_BUDGETS[effort] : undefined;
  if (budget === undefined)
    throw new Unsupported('reasoning_effort', `${JSON.stringify(effort)} is not low, medium or high`);
  return budget;
}

function convertMessages(input: ChatRequest['messages']): { system: Block[]; messages: AnthropicMessage[] } {
  const system: Block[] = [];
  const messages: AnthropicMessage[] = [];
  let started = false;
  const add = (role: AnthropicMessage['role'], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (let i = 0; i < input.length; i++) {
    const message = input[i]!;
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        if (started) {
          throw new Unsupported(
            `${at}.role`,
            'a system message after the conversation has started cannot be sent: the Messages API takes one system prompt, before the messages',
          );
        }
        system.push(...withCache(textBlocks(message.content, `${at}.content`), message));
        break;
      case 'user':
        started = true;
        add('user', withCache(userBlocks(message.content, `${at}.content`), message));
        break;
      case 'assistant': {
        started = true;
        const blocks = textBlocks(assistantText(message), `${at}.content`);
        for (const call of toolCallsOf(message, at)) {
          blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: call.input });
        }
        add('assistant', withCache(blocks, message));
        break;
      }
      case 'tool': {
        started = true;
        if (typeof message.tool_call_id !== 'string') {
          throw new Unsupported(`${at}.tool_call_id`, 'is required on a tool message');
        }
        const content = textOf(message.content, `${at}.content`);
        add(
          'user',
          withCache([{ type: 'tool_result', tool_use_id: message.tool_call_id, content }], message),
        );
        break;
      }
      default:
        throw new Unsupported(`${at}.role`, `${JSON.stringify(message.role)} messages cannot be sent`);
    }
  }
  return { system, messages };
}

/** An assistant message's text parts (refusal parts included as text). */
function assistantText(message: Record<string, unknown>): unknown {
  const content = message.content;
  if (!Array.isArray(content)) return content;
  return content.map((part: { type?: unknown; refusal?: unknown }) =>
    part?.type === 'refusal' ? { type: 'text', text: String(part.refusal ?? '') } : part,
  );
}

function textBlocks(content: unknown, field: string): Block[] {
  const blocks: Block[] = [];
  for (const part of contentParts(content, field)) {
    if (part.kind !== 'text') throw new Unsupported(field, 'may only hold text');
    if (part.text !== '') blocks.push({ type: 'text', text: part.text });
  }
  return copyPartCache(blocks, content);
}

function userBlocks(content: unknown, field: string): Block[] {
  const blocks = contentParts(content, field).flatMap((part, i) => userBlock(part, `${field}[${i}]`));
  return copyPartCache(blocks, content);
}

function userBlock(part: ContentPart, field: string): Block[] {
  switch (part.kind) {
    case 'text':
      return part.text === '' ? [] : [{ type: 'text', text: part.text }];
    case 'image':
      return [
        {
          type: 'image',
          source: part.data
            ? { type: 'base64', media_type: part.data.mimeType, data: part.data.base64 }
            : { type: 'url', url: part.url },
        },
      ];
    case 'file':
      if (part.data.mimeType !== 'application/pdf') {
        throw new Unsupported(field, `files of type ${part.data.mimeType} cannot be sent (PDF only)`);
      }
      return [
        {
          type: 'document',
          source: { type: 'base64', media_type: 'application/pdf', data: part.data.base64 },
        },
      ];
    case 'audio':
      throw new Unsupported(field, 'audio input cannot be sent');
  }
}

/** Keeps `cache_control` of content parts (prompt caching), when the parts map one to one. */
function copyPartCache(blocks: Block[], content: unknown): Block[] {
  if (!Array.isArray(content) || content.length !== blocks.length) return blocks;
  for (let i = 0; i < blocks.length; i++) {
    const cache = (content[i] as { cache_control?: unknown }).cache_control;
    if (cache && typeof cache === 'object') blocks[i]!.cache_control = cache;
  }
  return blocks;
}

/** A message-level `cache_control` marks the message's last block (prompt caching). */
function withCache(blocks: Block[], message: Record<string, unknown>): Block[] {
  const cache = message.cache_control;
  if (cache && typeof cache === 'object' && blocks.length > 0)
    blocks[blocks.length - 1]!.cache_control = cache;
  return blocks;
}

class AnthropicChat implements PreparedChat {
  readonly #base: string;
  constructor(request: ChatRequest, streaming: boolean) {
    this.#base = JSON.stringify(toAnthropicRequest(request, streaming));
  }
  call(provider: ResolvedProvider, model: string): ChatCall {
    return { path: `${provider.basePath}/messages`, body: withModel(this.#base, model) };
  }
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** Usage in chat-completions terms: prompt tokens include the cached and cache-written ones. */
export function anthropicUsage(usage: AnthropicUsage | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const cached = usage.cache_read_input_tokens ?? 0;
  const written = usage.cache_creation_input_tokens ?? 0;
  const prompt = (usage.input_tokens ?? 0) + cached + written;
  const completion = usage.output_tokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
    ...(written > 0 ? { cache_creation_input_tokens: written } : {}),
  };
}

export function anthropicFinishReason(reason: unknown): string {
  return (typeof reason === 'string' && ANTHROPIC_FINISH_REASONS[reason]) || 'stop';
}

/** A Messages API answer as a chat completion. */
export function fromAnthropicResponse(body: unknown, model: string, status: number): ChatCompletion {
  const message = body as {
    id?: unknown;
    model?: unknown;
    content?: unknown;
    stop_reason?: unknown;
    usage?: AnthropicUsage;
  } | null;
  if (!message || typeof message !== 'object' || !Array.isArray(message.content)) {
    throw new AttemptFailure(badResponse('response has no `content` array', status));
  }
  let text = '';
  let reasoning = '';
  const toolCalls: unknown[] = [];
  for (const block of message.content as Array<Record<string, unknown>>) {
    if (block?.type === 'text' && typeof block.text === 'string') text += block.text;
    else if (block?.type === 'thinking' && typeof block.thinking === 'string') reasoning += block.thinking;
    else if (block?.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const reply: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  if (toolCalls.length > 0) reply.tool_calls = toolCalls;
  if (reasoning !== '') reply.reasoning_content = reasoning;
  const completion: ChatCompletion = {
    id: typeof message.id === 'string' ? message.id : generatedId('msg'),
    object: 'chat.completion',
    created: nowSeconds(),
    model: typeof message.model === 'string' ? message.model : model,
    choices: [
      { index: 0, message: reply, logprobs: null, finish_reason: anthropicFinishReason(message.stop_reason) },
    ],
  };
  const usage = anthropicUsage(message.usage);
  if (usage) completion.usage = usage;
  return completion;
}

/**
 * Messages API stream events as chat-completion chunks: `message_start` gives the role,
 * `content_block_start` a tool call's id and name, `content_block_delta` text, `input_json_delta`
 * (tool arguments) and `thinking_delta` (reasoning), `message_delta` the finish reason, and
 * `message_stop` the usage chunk.
 */
export class AnthropicStreamDecoder implements StreamDecoder {
  readonly #model: string;
  #id = '';
  #responseModel = '';
  #created = nowSeconds();
  #usage: AnthropicUsage = {};
  /** Content-block index to tool-call index. */
  readonly #tools = new Map<number, number>();
  #stopped = false;

  constructor(model: string) {
    this.#model = model;
  }

  get complete(): boolean {
    return this.#stopped;
  }

  decode(event: string, data: string, push: (chunk: ChatCompletionChunk) => void): void {
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(data) as Record<string, unknown>;
    } catch {
      throw new SyntaxError('stream event is not valid JSON');
    }
    const type = typeof payload?.type === 'string' ? payload.type : event;
    switch (type) {
      case 'message_start': {
        const message = (payload.message ?? {}) as { id?: unknown; model?: unknown; usage?: AnthropicUsage };
        this.#id = typeof message.id === 'string' ? message.id : generatedId('msg');
        this.#responseModel = typeof message.model === 'string' ? message.model : this.#model;
        if (message.usage) this.#usage = { ...message.usage };
        push(this.#chunk({ role: 'assistant', content: '' }, null));
        return;
      }
      case 'content_block_start': {
        const block = (payload.content_block ?? {}) as Record<string, unknown>;
        const index = Number(payload.index);
        if (block.type === 'tool_use') {
          const toolIndex = this.#tools.size;
          this.#tools.set(index, toolIndex);
          push(
            this.#chunk(
              {
                tool_calls: [
                  {
                    index: toolIndex,
                    id: block.id,
                    type: 'function',
                    function: { name: block.name, arguments: '' },
                  },
                ],
              },
              null,
            ),
          );
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
          push(this.#chunk({ content: block.text }, null));
        }
        return;
      }
      case 'content_block_delta': {
        const delta = (payload.delta ?? {}) as Record<string, unknown>;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') {
          push(this.#chunk({ content: delta.text }, null));
        } else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string') {
          push(this.#chunk({ reasoning_content: delta.thinking }, null));
        } else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string') {
          const toolIndex = this.#tools.get(Number(payload.index));
          if (toolIndex === undefined) throw new SyntaxError('input_json_delta outside a tool_use block');
          if (delta.partial_json !== '') {
            push(
              this.#chunk(
                { tool_calls: [{ index: toolIndex, function: { arguments: delta.partial_json } }] },
                null,
              ),
            );
          }
        }
        return;
      }
      case 'message_delta': {
        const delta = (payload.delta ?? {}) as { stop_reason?: unknown };
        const usage = payload.usage as AnthropicUsage | undefined;
        if (usage) this.#usage = { ...this.#usage, ...definedOnly(usage) };
        if (delta.stop_reason) {
          this.#stopped = true;
          push(this.#chunk({}, anthropicFinishReason(delta.stop_reason)));
        }
        return;
      }
      case 'message_stop':
        this.#stopped = true;
        push(usageChunk(this.#id, this.#created, this.#responseModel, anthropicUsage(this.#usage)));
        return;
      case 'error': {
        const error = (payload.error ?? {}) as { type?: unknown; message?: unknown };
        const message = typeof error.message === 'string' ? error.message : 'error in stream';
        const code = typeof error.type === 'string' ? error.type : undefined;
        if (code === 'overloaded_error') throw new AttemptFailure(overloaded(undefined, message));
        throw new StreamPayloadError(message, code);
      }
      default:
        return; // ping, content_block_stop, and event types added later
    }
  }

  #chunk(delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null): ChatCompletionChunk {
    return chunkOf(this.#id, this.#created, this.#responseModel, delta, finish);
  }
}

function definedOnly<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key in value) if (value[key] !== undefined && value[key] !== null) out[key] = value[key];
  return out;
}

function overloaded(status: number | undefined, message: string): Classification {
  return {
    outcome: 'server_error',
    verdict: 'failover',
    ...(status === undefined ? {} : { status }),
    message,
    providerCode: 'overloaded_error',
  };
}

const RESET_HEADERS = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

/**
 * When a 429 names no `retry-after`: the latest reset among the exhausted limits
 * (`anthropic-ratelimit-<limit>-remaining: 0`, `...-reset: <RFC 3339 time>`).
 */
export function anthropicResetMs(headers: ResponseHeaders, now = Date.now()): number | undefined {
  let latest: number | undefined;
  for (const limit of RESET_HEADERS) {
    if (first(headers[`anthropic-ratelimit-${limit}-remaining`]) !== '0') continue;
    const at = Date.parse(first(headers[`anthropic-ratelimit-${limit}-reset`]) ?? '');
    if (!Number.isNaN(at)) latest = Math.max(latest ?? 0, Math.max(0, at - now));
  }
  return latest;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Anthropic's errors: `overloaded_error` (529) fails over at once, `billing_error` (402) is the
 * key's account and cools that key down, a 429 waits its `retry-after` or its limits' reset time;
 * the rest as for any provider.
 */
export function classifyAnthropic(status: number, headers: ResponseHeaders, text: string): Classification {
  const body = parseErrorBody(text);
  const message = body?.message || `HTTP ${status}`;
  if (status === 529 || body?.type === 'overloaded_error') return overloaded(status, message);
  if (status === 402 || body?.type === 'billing_error') {
    return {
      outcome: 'auth_error',
      verdict: 'failover',
      status,
      message,
      providerCode: body?.type ?? 'billing_error',
      keyFault: 'auth',
    };
  }
  const classification = classifyStatus(status, headers, body);
  if (classification.verdict === 'rate-limited' && classification.retryAfterMs === undefined) {
    const reset = anthropicResetMs(headers);
    if (reset !== undefined) return { ...classification, retryAfterMs: reset };
  }
  return classification;
}

export const anthropicProtocol: WireProtocol = {
  name: 'anthropic',
  embeddings: false,
  headers: (provider) => {
    const base = baseHeaders(provider);
    base['anthropic-version'] ??= ANTHROPIC_VERSION;
    return keyedHeaders(base, provider.keys, 'x-api-key');
  },
  prepareChat: (request, streaming) => new AnthropicChat(request, streaming),
  readChat: fromAnthropicResponse,
  streamDecoder: (model) => new AnthropicStreamDecoder(model),
  classify: classifyAnthropic,
};
