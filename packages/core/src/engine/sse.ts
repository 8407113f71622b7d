/**
 * Reads an SSE body and hands each event to the protocol's decoder, which turns it into
 * chat-completion chunks; within bounds: one line or event holds at most `maxEventBytes`
 * characters (`transport/bounded`), and the socket is paused while the chunks the consumer has not
 * taken yet hold more than a small high-water mark.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { EventSourceMessage } from 'eventsource-parser';
import { type StreamDecoder, StreamPayloadError } from '../protocols/wire';
import type { Redactor } from '../redact';
import { boundedSseParser } from '../transport/bounded';
import type { ChatCompletionChunk } from '../types';

export { StreamPayloadError } from '../protocols/wire';

/** Chunks queued before the socket is paused. */
const HIGH_WATER = 64;
/** Characters of queued event data before the socket is paused. */
const HIGH_WATER_CHARS = 64 * 1024;

/** What a reader reports of the upstream side, for a clock that measures upstream silence only. */
export interface ReaderWatch {
  /** Bytes arrived from the upstream. */
  received(): void;
  /** The socket was paused because the consumer is behind: the upstream is not to blame. */
  paused(): void;
  /** Reading resumed after a pause. */
  resumed(): void;
  /** The upstream finished sending. */
  ended(): void;
}

export interface SseReaderOptions {
  /** Largest line or event, in characters. */
  readonly maxEventBytes: number;
  /** Applied to an error message the upstream sends inside the stream. */
  readonly redact: Redactor;
}

export class SseReader {
  readonly #body: Readable;
  readonly #decoder: StreamDecoder;
  readonly #parser: { feed(text: string): void };
  readonly #redact: Redactor;
  /** Keeps a character split across two reads whole (cheaper per read than a streaming TextDecoder). */
  readonly #text = new StringDecoder('utf8');
  readonly #queue: ChatCompletionChunk[] = [];
  /** Characters of event data behind each queued chunk (an event's size goes with its first chunk). */
  readonly #sizes: number[] = [];
  #head = 0;
  #queuedChars = 0;
  /** Size of the event being decoded, not yet given to a chunk. */
  #eventChars = 0;
  #ended = false;
  #error: unknown;
  #watch: ReaderWatch | undefined;
  #waiter:
    | { resolve: (chunk: ChatCompletionChunk | undefined) => void; reject: (error: unknown) => void }
    | undefined;

  /** Characters of event data handed out by `next()` so far. */
  delivered = 0;

  constructor(body: Readable, decoder: StreamDecoder, options: SseReaderOptions) {
    this.#body = body;
    this.#decoder = decoder;
    this.#redact = options.redact;
    this.#parser = boundedSseParser(
      options.maxEventBytes,
      (event) => this.#onEvent(event),
      (error) => this.#fail(error),
    );
    body.on('data', this.#onChunk);
    body.once('end', this.#onEnd);
    body.once('error', this.#onError);
    body.once('close', this.#onClose);
  }

  /** True once the stream said it is complete (see `StreamDecoder.complete`). */
  get complete(): boolean {
    return this.#decoder.complete;
  }

  /** The next chunk if one is waiting; `undefined` when none is (then `next()` waits for one). */
  take(): ChatCompletionChunk | undefined {
    return this.#head < this.#queue.length ? this.#shift() : undefined;
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

  /** Reports upstream activity, pauses and the end to `watch` from now on (`undefined` stops). */
  watch(watch: ReaderWatch | undefined): void {
    this.#watch = watch;
    if (!watch) return;
    if (this.#ended) watch.ended();
    else if (this.#body.isPaused()) watch.paused();
  }

  /** Stops reading and releases the socket. */
  destroy(): void {
    this.#fail(new Error('stream reader destroyed'));
  }

  #shift(): ChatCompletionChunk {
    const chunk = this.#queue[this.#head]!;
    const size = this.#sizes[this.#head]!;
    this.#queue[this.#head++] = undefined as unknown as ChatCompletionChunk;
    this.#queuedChars -= size;
    this.delivered += size;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#sizes.length = 0;
      this.#head = 0;
    }
    if (this.#body.isPaused() && !this.#ended && this.#error === undefined && !this.#full(2)) {
      this.#body.resume();
      this.#watch?.resumed();
    }
    return chunk;
  }

  /** The queue holds more than the high-water mark divided by `divisor`. */
  #full(divisor: number): boolean {
    return (
      this.#queue.length - this.#head >= HIGH_WATER / divisor ||
      this.#queuedChars >= HIGH_WATER_CHARS / divisor
    );
  }

  readonly #onChunk = (buffer: Buffer): void => {
    this.#watch?.received();
    this.#parser.feed(this.#text.write(buffer));
    if (this.#error === undefined && !this.#body.isPaused() && this.#full(1)) {
      this.#body.pause();
      this.#watch?.paused();
    }
  };

  #onEvent(event: EventSourceMessage): void {
    if (this.#error !== undefined) return;
    this.#eventChars = event.data.length;
    try {
      this.#decoder.decode(event.event ?? '', event.data, this.#push);
    } catch (error) {
      // An error the upstream sent may echo a credential: it is redacted before it goes anywhere.
      this.#fail(
        error instanceof StreamPayloadError
          ? new StreamPayloadError(this.#redact(error.message), error.providerCode)
          : error,
      );
    }
    // An event that gave no chunk still counts towards what was read before the first token.
    this.delivered += this.#eventChars;
    this.#eventChars = 0;
  }

  readonly #push = (chunk: ChatCompletionChunk): void => {
    if (this.#error !== undefined) return;
    const size = this.#eventChars;
    this.#eventChars = 0;
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      this.delivered += size;
      waiter.resolve(chunk);
    } else {
      this.#queue.push(chunk);
      this.#sizes.push(size);
      this.#queuedChars += size;
    }
  };

  readonly #onEnd = (): void => {
    this.#ended = true;
    this.#detach();
    this.#watch?.ended();
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
