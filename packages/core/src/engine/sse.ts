/**
 * Reads an SSE body with `eventsource-parser` and hands each event to the protocol's decoder,
 * which turns it into chat-completion chunks; with backpressure: the socket is paused while the
 * consumer is behind.
 */
import type { Readable } from 'node:stream';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { StreamDecoder } from '../protocols/wire';
import type { ChatCompletionChunk } from '../types';

export { StreamPayloadError } from '../protocols/wire';

const HIGH_WATER = 64;

export class SseReader {
  readonly #body: Readable;
  readonly #decoder: StreamDecoder;
  readonly #parser: EventSourceParser;
  readonly #text = new TextDecoder();
  readonly #queue: ChatCompletionChunk[] = [];
  #head = 0;
  #ended = false;
  #error: unknown;
  #waiter:
    | { resolve: (chunk: ChatCompletionChunk | undefined) => void; reject: (error: unknown) => void }
    | undefined;

  constructor(body: Readable, decoder: StreamDecoder) {
    this.#body = body;
    this.#decoder = decoder;
    this.#parser = createParser({ onEvent: (event) => this.#onEvent(event) });
    body.on('data', this.#onChunk);
    body.once('end', this.#onEnd);
    body.once('error', this.#onError);
    body.once('close', this.#onClose);
  }

  /** True once the stream said it is complete (see `StreamDecoder.complete`). */
  get complete(): boolean {
    return this.#decoder.complete;
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
    this.#parser.feed(this.#text.decode(buffer, { stream: true }));
    if (this.#queue.length - this.#head >= HIGH_WATER) this.#body.pause();
  };

  #onEvent(event: EventSourceMessage): void {
    if (this.#error !== undefined) return;
    try {
      this.#decoder.decode(event.event ?? '', event.data, this.#push);
    } catch (error) {
      this.#fail(error);
    }
  }

  readonly #push = (chunk: ChatCompletionChunk): void => {
    if (this.#error !== undefined) return;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve(chunk);
    } else {
      this.#queue.push(chunk);
    }
  };

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
