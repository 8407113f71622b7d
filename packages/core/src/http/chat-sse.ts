/**
 * A chat stream as server-sent events, the way OpenAI sends them: one `data:` event per chunk,
 * `data: [DONE]` after a clean end, and `event: error` with an OpenAI error body when the stream
 * fails after it started — no `[DONE]` then, so the client knows its answer is incomplete. The
 * OpenAI-compatible routes, the examples and the adapters use it through `ChatStream.pipeSse()` and
 * `ChatStream.toSseEvents()`; {@link writeSse} is the one SSE writer (the Responses route uses it
 * with events of its own).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { textOf } from '../engine/answer-text';
import type { ChatStream } from '../engine/stream';
import type { ChatCompletionChunk } from '../types';
import { openAiErrorBody, problemFor, type Scrubber } from './problem';
import { drained, isGone, SSE_HEADERS } from './respond';

/** One server-sent event: an optional name and its data (a string: JSON, or `[DONE]`). */
export interface SseEvent {
  readonly event?: string;
  readonly data: string;
}

/**
 * What the events of a chat stream carry. Every payload that is not a string is sent as JSON; a
 * string is sent as it is.
 */
export interface ChatSseOptions<R = unknown> {
  /** The data of a chunk's event, `undefined` to send none for it (default: the chunk). */
  chunk?: (chunk: ChatCompletionChunk) => unknown;
  /**
   * The last event after a clean end, given the request's report (default `data: [DONE]`);
   * `undefined` sends none.
   */
  end?: (report: R) => { event?: string; data: unknown } | undefined;
  /**
   * The data of the `event: error` that ends a failed stream (default: the OpenAI error body of the
   * error, its message scrubbed of keys, upstream URLs and addresses).
   */
  error?: (error: unknown) => unknown;
}

const DONE: SseEvent = Object.freeze({ data: '[DONE]' });
const LINE_BREAK = /\r\n|\r|\n/;

/** The text of one event on the wire. Data with line breaks takes one `data:` line per line. */
export function formatSseEvent(event: SseEvent): string {
  const name = event.event ? `event: ${event.event.replace(/[\r\n]/g, '')}\n` : '';
  const { data } = event;
  if (!LINE_BREAK.test(data)) return `${name}data: ${data}\n\n`;
  return `${name}${data
    .split(LINE_BREAK)
    .map((line) => `data: ${line}\n`)
    .join('')}\n`;
}

/** The events of a stream, in order; ending the iteration early aborts the upstream call. */
export async function* chatSseEvents<R>(
  stream: ChatStream<R>,
  options: ChatSseOptions<R>,
  scrub: Scrubber,
): AsyncGenerator<SseEvent, void, undefined> {
  let failure: { error: unknown } | undefined;
  try {
    for await (const chunk of stream) {
      const event = chunkEvent(chunk, options);
      if (event) yield event;
    }
  } catch (error) {
    failure = { error };
  }
  const last = failure ? errorEvent(failure.error, options, scrub) : endEvent(await stream.done, options);
  if (last) yield last;
}

/**
 * Writes a chat stream to `res` as server-sent events (the events of {@link chatSseEvents}); see
 * {@link writeSse}. Resolves with the request's report once the stream has ended, however it
 * ended. `headers` go out with the status line, in the one `writeHead`.
 */
export async function pipeChatSse<R>(
  stream: ChatStream<R>,
  res: ServerResponse,
  options: ChatSseOptions<R>,
  scrub: Scrubber,
  headers?: OutgoingHttpHeaders,
): Promise<R> {
  const writer = new SseWriter(res, () => stream.abort('the response closed before the stream ended'));
  if (!writer.start(headers)) return stream.done;
  let failure: { error: unknown } | undefined;
  try {
    // The chunks are written as they are read, without an event generator in between.
    for await (const chunk of stream) {
      if (writer.gone) break;
      const event = chunkEvent(chunk, options);
      if (event) {
        const full = writer.write(event);
        if (full) await full;
      }
    }
  } catch (error) {
    failure = { error };
  }
  if (!writer.gone) {
    const last = failure ? errorEvent(failure.error, options, scrub) : endEvent(await stream.done, options);
    if (last) writer.write(last);
  }
  writer.end();
  return stream.done;
}

/**
 * The one writer of server-sent events: writes `events` to `res`, waiting whenever its buffer is
 * full, and ends it. A response not yet started is started with status 200 and the SSE headers
 * (headers already set on it stay, `headers` join them). When the response closes first, `abort`
 * stops the source of the events (the upstream call); no listener is left on `res`.
 */
export async function writeSse(
  res: ServerResponse,
  events: AsyncIterable<SseEvent>,
  abort: () => void,
  headers?: OutgoingHttpHeaders,
): Promise<void> {
  const writer = new SseWriter(res, abort);
  if (!writer.start(headers)) return;
  try {
    for await (const event of events) {
      if (writer.gone) break;
      const full = writer.write(event);
      if (full) await full;
    }
  } finally {
    writer.end();
  }
}

/**
 * Server-sent events on one response. The events written in one tick (a read from the upstream
 * often brings several) go out in one `res.write` on the next tick: one chunk of the response and
 * one write to the socket rather than one per event. A batch that would take the response past its
 * high-water mark goes out at once, and then, while the socket's buffer is full, the writer asks its
 * caller to wait: at most one event past the mark is held.
 */
class SseWriter {
  readonly #res: ServerResponse;
  readonly #abort: () => void;
  #batch = '';
  #scheduled = false;

  constructor(res: ServerResponse, abort: () => void) {
    this.#res = res;
    this.#abort = abort;
  }

  get gone(): boolean {
    return isGone(this.#res);
  }

  /** Sends the status line and headers (one `writeHead`); false (and aborted) when the response is gone. */
  start(headers?: OutgoingHttpHeaders): boolean {
    const res = this.#res;
    if (isGone(res)) {
      this.#abort();
      return false;
    }
    if (!res.headersSent) {
      res.writeHead(200, headers ? { ...headers, ...SSE_HEADERS } : SSE_HEADERS);
      res.flushHeaders();
    }
    res.once('close', this.#abort);
    return true;
  }

  /** Adds one event to the batch; returns a promise to wait for when the socket's buffer is full. */
  write(event: SseEvent): Promise<void> | undefined {
    const res = this.#res;
    this.#batch += formatSseEvent(event);
    if (this.#batch.length + res.writableLength >= res.writableHighWaterMark) {
      this.#flush();
      return res.writableNeedDrain ? drained(res) : undefined;
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#onTick);
    }
    return undefined;
  }

  /** Sends what is batched and ends the response (or aborts the source when it is gone); leaves no listener on it. */
  end(): void {
    const res = this.#res;
    res.off('close', this.#abort);
    const batch = this.#batch;
    this.#batch = '';
    if (isGone(res)) this.#abort();
    else if (batch) res.end(batch);
    else res.end();
  }

  readonly #flush = (): void => {
    const batch = this.#batch;
    if (batch === '') return;
    this.#batch = '';
    if (!isGone(this.#res)) this.#res.write(batch);
  };

  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.#flush();
  };
}

function chunkEvent<R>(chunk: ChatCompletionChunk, options: ChatSseOptions<R>): SseEvent | undefined {
  // The upstream's own text of the chunk when it was kept (see `engine/answer-text.ts`).
  if (!options.chunk) return { data: textOf(chunk) ?? JSON.stringify(chunk) };
  const data = options.chunk(chunk);
  return data === undefined ? undefined : { data: serialize(data) };
}

function endEvent<R>(report: R, options: ChatSseOptions<R>): SseEvent | undefined {
  if (!options.end) return DONE;
  const end = options.end(report);
  if (end === undefined) return undefined;
  return end.event ? { event: end.event, data: serialize(end.data) } : { data: serialize(end.data) };
}

function errorEvent<R>(error: unknown, options: ChatSseOptions<R>, scrub: Scrubber): SseEvent {
  const data = options.error ? options.error(error) : openAiErrorBody(problemFor(error, scrub));
  return { event: 'error', data: serialize(data) };
}

function serialize(data: unknown): string {
  return typeof data === 'string' ? data : JSON.stringify(data);
}
