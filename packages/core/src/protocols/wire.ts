/**
 * What a wire protocol provides to the engine: its headers, each attempt's path and body, and the
 * translation of answers, stream events and errors back into chat completions. Callers always speak
 * chat completions; `openai.ts`, `anthropic.ts` and `gemini.ts` each implement this contract.
 */
import type { Classification } from '../policies/classify';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, Protocol, ResolvedProvider } from '../types';

/** One attempt's request: the path under the provider's origin, and the JSON body. */
export interface ChatCall {
  readonly path: string;
  readonly body: string;
}

/** A chat request translated once per call for one protocol; each attempt adds its provider and model. */
export interface PreparedChat {
  call(provider: ResolvedProvider, model: string): ChatCall;
}

/** Turns one protocol's stream events into chat-completion chunks. One decoder per stream. */
export interface StreamDecoder {
  /**
   * Translates one server-sent event (`event` is `''` when the event has no name) and pushes the
   * chunks it yields. Throws (an `AttemptFailure`, a `StreamPayloadError`, a `SyntaxError`) to fail
   * the stream.
   */
  decode(event: string, data: string, push: (chunk: ChatCompletionChunk) => void): void;
  /** True once the stream said it is complete (`[DONE]`, `message_stop`, a finish reason). */
  readonly complete: boolean;
}

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

export interface WireProtocol {
  readonly name: Protocol;
  /** Whether the protocol serves embeddings through `{basePath}/embeddings`. */
  readonly embeddings: boolean;
  /** Request headers for each of the provider's keys (index = key index; one entry when keyless). */
  headers(provider: ResolvedProvider): Readonly<Record<string, string>>[];
  /**
   * Translates a chat request (without its `model`). Throws `Unsupported` naming the field when the
   * protocol cannot express something the request asks for.
   */
  prepareChat(request: ChatRequest, streaming: boolean): PreparedChat;
  /** Translates a 2xx JSON answer; throws an `AttemptFailure` when it cannot be used. */
  readChat(body: unknown, model: string, status: number): ChatCompletion;
  /**
   * A decoder for one streamed answer. With `keepText`, a chunk passed through unchanged keeps the
   * upstream's text of it (see `engine/answer-text.ts`).
   */
  streamDecoder(model: string, keepText?: boolean): StreamDecoder;
  /** Classifies an answer that is not a 2xx, from its status, headers and (bounded) body text. */
  classify(status: number, headers: ResponseHeaders, text: string): Classification;
}

/** The upstream sent an error object inside the stream. */
export class StreamPayloadError extends Error {
  readonly providerCode: string | undefined;
  constructor(message: string, providerCode: string | undefined) {
    super(message);
    this.name = 'StreamPayloadError';
    this.providerCode = providerCode;
  }
}

/** A request field the protocol cannot express; the engine turns it into an `UnsupportedFeatureError`. */
export class Unsupported extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'Unsupported';
    this.field = field;
  }
}

/** A part of a message's content, read from the chat-completions shapes. */
export type ContentPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'image'; readonly url: string; readonly data?: InlineData }
  | { readonly kind: 'audio'; readonly data: InlineData }
  | { readonly kind: 'file'; readonly data: InlineData };

export interface InlineData {
  readonly mimeType: string;
  readonly base64: string;
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,=]+=[^;,]*)*;base64,/;

/** Reads a `data:<mime>;base64,<data>` URL. */
export function parseDataUrl(url: string): InlineData | undefined {
  const match = DATA_URL.exec(url);
  if (!match) return undefined;
  return { mimeType: match[1]!, base64: url.slice(match[0].length) };
}

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg' };

/** The parts of a message's `content` (a string, null, or an array of typed parts). */
export function contentParts(content: unknown, field: string): ContentPart[] {
  if (content === null || content === undefined) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ kind: 'text', text: content }];
  if (!Array.isArray(content)) throw new Unsupported(field, 'must be a string or an array of parts');
  const parts: ContentPart[] = [];
  for (let i = 0; i < content.length; i++) {
    const part = content[i] as Record<string, unknown> | null;
    const at = `${field}[${i}]`;
    const type = part && typeof part === 'object' ? part.type : undefined;
    if (type === 'text' && typeof part!.text === 'string') {
      parts.push({ kind: 'text', text: part!.text });
    } else if (type === 'image_url') {
      const image = part!.image_url as { url?: unknown } | string | undefined;
      const url = typeof image === 'string' ? image : image?.url;
      if (typeof url !== 'string') throw new Unsupported(`${at}.image_url.url`, 'must be a URL');
      const data = parseDataUrl(url);
      parts.push(data ? { kind: 'image', url, data } : { kind: 'image', url });
    } else if (type === 'input_audio') {
      const audio = part!.input_audio as { data?: unknown; format?: unknown } | undefined;
      const mimeType = typeof audio?.format === 'string' ? AUDIO_TYPES[audio.format] : undefined;
      if (typeof audio?.data !== 'string' || !mimeType) {
        throw new Unsupported(`${at}.input_audio`, 'needs base64 `data` and a `format` of wav or mp3');
      }
      parts.push({ kind: 'audio', data: { mimeType, base64: audio.data } });
    } else if (type === 'file') {
      const file = part!.file as { file_data?: unknown } | undefined;
      const data = typeof file?.file_data === 'string' ? parseDataUrl(file.file_data) : undefined;
      if (!data)
        throw new Unsupported(`${at}.file`, 'only inline `file_data` (a base64 data URL) can be sent');
      parts.push({ kind: 'file', data });
    } else {
      throw new Unsupported(at, `content parts of type ${JSON.stringify(type)} cannot be sent`);
    }
  }
  return parts;
}

/** The text of a content that may only hold text (system and tool messages). */
export function textOf(content: unknown, field: string): string {
  let text = '';
  for (const part of contentParts(content, field)) {
    if (part.kind !== 'text') throw new Unsupported(field, 'may only hold text');
    text += part.text;
  }
  return text;
}

/** The function tools of a request, checked. */
export interface FunctionTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: Record<string, unknown> | undefined;
}

export function functionTools(tools: unknown): FunctionTool[] | undefined {
  if (tools === undefined || tools === null) return undefined;
  if (!Array.isArray(tools)) throw new Unsupported('tools', 'must be an array');
  return tools.map((tool, i) => {
    const t = tool as { type?: unknown; function?: Record<string, unknown> } | null;
    if (t?.type !== 'function' || typeof t.function?.name !== 'string') {
      throw new Unsupported(
        `tools[${i}]`,
        'only function tools ({ type: "function", function: { name } }) can be sent',
      );
    }
    const { name, description, parameters } = t.function;
    return {
      name,
      description: typeof description === 'string' ? description : undefined,
      parameters:
        parameters && typeof parameters === 'object' ? (parameters as Record<string, unknown>) : undefined,
    };
  });
}

/** `tool_choice`, normalized. */
export type ToolChoice =
  | { readonly mode: 'auto' | 'none' | 'required' }
  | { readonly mode: 'function'; readonly name: string };

export function toolChoice(value: unknown): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'auto' || value === 'none' || value === 'required') return { mode: value };
  const name = (value as { type?: unknown; function?: { name?: unknown } }).function?.name;
  if ((value as { type?: unknown }).type === 'function' && typeof name === 'string') {
    return { mode: 'function', name };
  }
  throw new Unsupported(
    'tool_choice',
    'must be "auto", "none", "required" or { type: "function", function: { name } }',
  );
}

/** A tool call of an assistant message. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** The parsed `arguments`. */
  readonly input: Record<string, unknown>;
}

export function toolCallsOf(message: Record<string, unknown>, field: string): ToolCall[] {
  const calls = message.tool_calls;
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw new Unsupported(`${field}.tool_calls`, 'must be an array');
  return calls.map((call, i) => {
    const at = `${field}.tool_calls[${i}]`;
    const c = call as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    if (typeof c?.id !== 'string' || typeof c.function?.name !== 'string') {
      throw new Unsupported(at, 'must be a function call with an `id` and a `function.name`');
    }
    return {
      id: c.id,
      name: c.function.name,
      input: parseArguments(c.function.arguments, `${at}.function.arguments`),
    };
  });
}

function parseArguments(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === '') return {};
  if (typeof value !== 'string') throw new Unsupported(field, 'must be a JSON string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new Unsupported(field, 'is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Unsupported(field, 'must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** `stop` as a list. */
export function stopSequences(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new Unsupported('stop', 'must be a string or an array of strings');
}

/** `max_completion_tokens` (the newer name) or `max_tokens`. */
export function maxTokensOf(request: ChatRequest): number | undefined {
  const value = request.max_completion_tokens ?? request.max_tokens;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new Unsupported('max_tokens', 'must be a positive integer');
  }
  return value;
}

/**
 * Refuses the request fields `protocol` cannot honour: set to anything but their neutral value,
 * each would change the answer in a way a translation cannot reproduce.
 */
export function refuseFields(
  request: ChatRequest,
  fields: Readonly<Record<string, (value: unknown) => boolean>>,
): void {
  for (const field in fields) {
    const value = request[field];
    if (value !== undefined && value !== null && !fields[field]!(value)) {
      throw new Unsupported(field, `${JSON.stringify(value)} cannot be honoured`);
    }
  }
}

export const isOne = (value: unknown): boolean => value === 1;
export const isFalse = (value: unknown): boolean => value === false;
export const isZero = (value: unknown): boolean => value === 0;
export const isEmptyObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && Object.keys(value).length === 0;
export const isTextOnly = (value: unknown): boolean =>
  Array.isArray(value) && value.every((modality) => modality === 'text');
export const never = (): boolean => false;

let sequence = 0;
const prefix = Date.now().toString(36);

/** An id for an answer whose protocol gives none. */
export function generatedId(kind: string): string {
  return `${kind}-${prefix}${(++sequence).toString(36)}`;
}

/** A `chat.completion.chunk` with one choice. */
export function chunkOf(
  id: string,
  created: number,
  model: string,
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finishReason: string | null,
): ChatCompletionChunk {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

/** The last chunk of a stream that reports usage: no choices. */
export function usageChunk(
  id: string,
  created: number,
  model: string,
  usage: ChatCompletion['usage'],
): ChatCompletionChunk {
  return { id, object: 'chat.completion.chunk', created, model, choices: [], usage: usage ?? null };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
