/**
 * A chat stream as server-sent events, the way OpenAI sends them: one `data:` event per chunk,
 * `data: [DONE]` after a clean end, and `event: error` with an OpenAI error body when the stream
 * fails after it started — no `[DONE]` then, so the client knows its answer is incomplete. The
 * OpenAI-compatible routes, the examples and the adapters use it through `ChatStream.pipeSse()` and
 * `ChatStream.toSseEvents()`; {@link writeSse} is the one SSE writer (the Responses route uses it
 * with events of its own).
 */
import type { ServerResponse } from 'node:http';
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
 * Writes a chat stream to `res` as server-sent events ({@link chatSseEvents}); see
 * {@link writeSse}. Resolves with the request's report once the stream has ended, however it
 * ended.
 */
export async function pipeChatSse<R>(
  stream: ChatStream<R>,
  res: ServerResponse,
  options: ChatSseOptions<R>,
  scrub: Scrubber,
): Promise<R> {
  await writeSse(res, chatSseEvents(stream, options, scrub), () =>
    stream.abort('the response closed before the stream ended'),
  );
  return stream.done;
}

/**
 * The one writer of server-sent events: writes `events` to `res`, waiting whenever its buffer is
 * full, and ends it. A response not yet started is started with status 200 and the SSE headers
 * (headers already set on it stay). When the response closes first, `abort` stops the source of
 * the events (the upstream call); no listener is left on `res`.
 */
export async function writeSse(
  res: ServerResponse,
  events: AsyncIterable<SseEvent>,
  abort: () => void,
): Promise<void> {
  if (isGone(res)) {
    abort();
    return;
  }
  if (!res.headersSent) {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
  }
  res.once('close', abort);
  try {
    for await (const event of events) {
      if (isGone(res)) break;
      if (!res.write(formatSseEvent(event))) await drained(res);
    }
  } finally {
    res.off('close', abort);
    if (isGone(res)) abort();
    else res.end();
  }
}

function chunkEvent<R>(chunk: ChatCompletionChunk, options: ChatSseOptions<R>): SseEvent | undefined {
  if (!options.chunk) return { data: JSON.stringify(chunk) };
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
