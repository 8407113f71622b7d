/**
 * The OpenAI-compatible wire protocol: paths, headers, request bodies and error bodies. OpenAI,
 * DeepSeek, relays, and the OpenAI-compatible endpoints of Gemini and Anthropic all speak it. The
 * request passes through untouched; only the deployment's `model` (and, for a stream, the usage
 * request when the provider accepts it) is added.
 */

import { keepText } from '../engine/answer-text';
import { AttemptFailure } from '../engine/failure';
import { badResponse, classifyStatus, type ProviderErrorBody } from '../policies/classify';
import type { ChatCompletion, ChatCompletionChunk, ChatRequest, ResolvedProvider } from '../types';
import { type PreparedChat, type StreamDecoder, StreamPayloadError, type WireProtocol } from './wire';

export interface ProtocolPaths {
  readonly chat: string;
  readonly embeddings: string;
  readonly models: string;
}

export function openAiPaths(provider: ResolvedProvider): ProtocolPaths {
  return {
    chat: `${provider.basePath}/chat/completions`,
    embeddings: `${provider.basePath}/embeddings`,
    models: `${provider.basePath}/models`,
  };
}

/** The headers every protocol sends, plus the provider's own. */
export function baseHeaders(provider: ResolvedProvider): Record<string, string> {
  const base: Record<string, string> = {
    // Set here so that no dispatcher adds it to these shared, frozen objects (a ProxyAgent would).
    host: new URL(provider.origin).host,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'user-agent': 'ai-failover',
  };
  for (const [name, value] of Object.entries(provider.headers)) base[name.toLowerCase()] = value;
  return base;
}

/** Headers for each key, built once: `name: prefix + key` (one entry without the key when keyless). */
export function keyedHeaders(
  base: Record<string, string>,
  keys: readonly string[],
  name: string,
  prefix = '',
): Readonly<Record<string, string>>[] {
  if (keys.length === 0) return [Object.freeze(base)];
  return keys.map((key) => Object.freeze({ ...base, [name]: `${prefix}${key}` }));
}

/** Headers for each of the provider's keys, built once (index = key index; one entry when keyless). */
export function openAiHeaders(provider: ResolvedProvider): Readonly<Record<string, string>>[] {
  return keyedHeaders(baseHeaders(provider), provider.keys, 'authorization', 'Bearer ');
}

/**
 * Reads the error an OpenAI-compatible API sends: `{ error: { message, type, code } }`, Anthropic's
 * `{ type: 'error', error: { type, message } }`, Gemini's `[{ error: { code, message, status } }]`,
 * or a plain `{ message }` / text.
 */
export function parseErrorBody(text: string): ProviderErrorBody | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500).trim() };
  }
  const root = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!root || typeof root !== 'object') return { message: text.slice(0, 500).trim() };
  const error = (root as { error?: unknown }).error;
  const source = (error && typeof error === 'object' ? error : root) as Record<string, unknown>;
  const message =
    typeof source.message === 'string' ? source.message : typeof error === 'string' ? error : undefined;
  const code = stringOf(source.code) ?? stringOf(source.status);
  const type = stringOf(source.type);
  return { message, code, type };
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** The request serialized once without its `model`; each attempt prefixes its deployment's model. */
class OpenAiChat implements PreparedChat {
  readonly #request: ChatRequest;
  readonly #streaming: boolean;
  #plain: string | undefined;
  #withUsage: string | undefined;

  constructor(request: ChatRequest, streaming: boolean) {
    this.#request = request;
    this.#streaming = streaming;
  }

  call(provider: ResolvedProvider, model: string): { path: string; body: string } {
    let base: string;
    if (this.#streaming && provider.streamUsage) {
      this.#withUsage ??= this.#serialize(true);
      base = this.#withUsage;
    } else {
      this.#plain ??= this.#serialize(false);
      base = this.#plain;
    }
    return { path: `${provider.basePath}/chat/completions`, body: withModel(base, model) };
  }

  #serialize(askUsage: boolean): string {
    const { model: _model, ...rest } = this.#request;
    if (this.#streaming) {
      rest.stream = true;
      if (askUsage) {
        rest.stream_options = {
          ...(this.#request.stream_options as object | undefined),
          include_usage: true,
        };
      } else delete rest.stream_options;
    }
    return JSON.stringify(rest);
  }
}

/** Prefixes a serialized body (without `model`) with the model. */
export function withModel(base: string, model: string): string {
  return base.length > 2
    ? `{"model":${JSON.stringify(model)},${base.slice(1)}`
    : `{"model":${JSON.stringify(model)}}`;
}

/** Parses OpenAI's `data:` events: chunks, `[DONE]`, and error objects sent inside the stream. */
class OpenAiStreamDecoder implements StreamDecoder {
  readonly #keepText: boolean;
  #done = false;
  #finished = false;

  constructor(keepText: boolean) {
    this.#keepText = keepText;
  }

  get complete(): boolean {
    return this.#done || this.#finished;
  }

  decode(_event: string, data: string, push: (chunk: ChatCompletionChunk) => void): void {
    if (data === '[DONE]') {
      this.#done = true;
      return;
    }
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(data) as ChatCompletionChunk;
    } catch {
      throw new SyntaxError('stream chunk is not valid JSON');
    }
    const error = (chunk as { error?: { message?: unknown; code?: unknown; type?: unknown } }).error;
    if (error && typeof error === 'object') {
      const message = typeof error.message === 'string' ? error.message : 'error in stream';
      const code =
        typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
      throw new StreamPayloadError(message, code);
    }
    if (chunk.choices?.[0]?.finish_reason) this.#finished = true;
    if (this.#keepText && typeof chunk === 'object' && chunk !== null) keepText(chunk, data);
    push(chunk);
  }
}

export const openAiProtocol: WireProtocol = {
  name: 'openai',
  embeddings: true,
  headers: openAiHeaders,
  prepareChat: (request, streaming) => new OpenAiChat(request, streaming),
  readChat(body, _model, status) {
    if (!body || typeof body !== 'object' || !Array.isArray((body as { choices?: unknown }).choices)) {
      throw new AttemptFailure(badResponse('response has no `choices` array', status));
    }
    return body as ChatCompletion;
  },
  streamDecoder: (_model, keep) => new OpenAiStreamDecoder(keep === true),
  classify: (status, headers, text) => classifyStatus(status, headers, parseErrorBody(text)),
};
