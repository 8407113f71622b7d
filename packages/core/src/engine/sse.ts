/**
 * Reads an OpenAI-style SSE body into parsed chunks with `eventsource-parser`, with backpressure:
 * the socket is paused while the consumer is behind.
 */
import type { Readable } from 'node:stream';
import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { ChatCompletionChunk } from '../types';

const HIGH_WATER = 64;

/** The upstream sent an error object inside the stream. */
export class StreamPayloadError extends Error {
  readonly providerCode: string | undefined;
  constructor(message: string, providerCode: string | undefined) {
    super(message);
    this.name = 'StreamPayloadError';
    this.providerCode = providerCode;
  }
}

export class SseReader {
  readonly #body: Readable;
  readonly #parser: EventSourceParser;
  readonly #decoder = new TextDecoder();
  readonly #queue: ChatCompletionChunk[] = [];
  #head = 0;
  #ended = false;
  #error: unknown;
  #waiter:
    | { resolve: (chunk: ChatCompletionChunk | undefined) => void; reject: (error: unknown) => void }
    | undefined;
  /** `data: [DONE]` was received. */
  sawDone = false;
  /** A chunk with a `finish_reason` was received. */
  sawFinish = false;

  constructor(body: Readable) {
    this.#body = body;
    this.#parser = createParser({ onEvent: (event) => this.#onData(event.data) });
    body.on('data', this.#onChunk);
    body.once('end', this.#onEnd);
    body.once('error', this.#onError);
    body.once('close', this.#onClose);
  }

  /** Resolves with the next chunk, or undefined when the stream has ended; rejects on a transport error. */
  next(): Promise<ChatCompletionChunk | undefined> {
    if (this.#head < this.#queue.length) return Promise.resolve(this.#shift());
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** Stops reading and releases the socket. */
  destroy(): void {
    this.#fail(new Error('stream reader destroyed'));
  }

  #shift(): ChatCompletionChunk {
    const chunk = this.#queue[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as ChatCompletionChunk;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    if (this.#body.isPaused() && this.#queue.length - this.#head < HIGH_WATER / 2) this.#body.resume();
    return chunk;
  }

  readonly #onChunk = (buffer: Buffer): void => {
    this.#parser.feed(this.#decoder.decode(buffer, { stream: true }));
    if (this.#queue.length - this.#head >= HIGH_WATER) this.#body.pause();
  };

  #onData(data: string): void {
    if (this.#error !== undefined) return;
    if (data === '[DONE]') {
      this.sawDone = true;
      return;
    }
    let chunk: ChatCompletionChunk;
    try {
      chunk = JSON.parse(data) as ChatCompletionChunk;
    } catch {
      this.#fail(new SyntaxError('stream chunk is not valid JSON'));
      return;
    }
    const error = (chunk as { error?: { message?: unknown; code?: unknown; type?: unknown } }).error;
    if (error && typeof error === 'object') {
      const message = typeof error.message === 'string' ? error.message : 'error in stream';
      const code =
        typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : undefined;
      this.#fail(new StreamPayloadError(message, code));
      return;
    }
    if (chunk.choices?.[0]?.finish_reason) this.sawFinish = true;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
    } else {
      this.#queue.push(chunk);
    }
  }

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#detach();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.resolve(undefined);
  };

  readonly #onError = (error: unknown): void => this.#fail(error);

  readonly #onClose = (): void => {
    if (!this.#ended) this.#fail(new Error('stream closed before its end'));
  };

  #fail(error: unknown): void {
    if (this.#error !== undefined || this.#ended) return;
    this.#error = error;
    this.#detach();
    if (!this.#body.destroyed) this.#body.destroy();
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  #detach(): void {
    this.#body.off('data', this.#onChunk);
    this.#body.off('end', this.#onEnd);
    this.#body.off('close', this.#onClose);
    // Keep a no-op error listener: a destroyed body may still emit 'error'.
    this.#body.off('error', this.#onError);
    this.#body.on('error', noop);
  }
}

function noop(): void {}
