/**
 * Reading what an upstream sends within a bound, whatever the protocol: a whole body, the head of
 * an error body, and server-sent events (one line or event at most `maxEventBytes`). Crossing a
 * bound drops what was buffered and fails with a `ResponseLimitError`, which the classifier turns
 * into a bad response of that deployment.
 */
import type { Readable } from 'node:stream';
import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';

/** Which bound a response crossed. */
export type ResponseLimit = 'responseBytes' | 'eventBytes' | 'preTokenBytes';

/** An upstream response crossed one of the provider's `limits`. */
export class ResponseLimitError extends Error {
  readonly limit: ResponseLimit;
  readonly bytes: number;
  constructor(limit: ResponseLimit, bytes: number) {
    super(`${WHAT[limit]} is larger than the limit of ${bytes} bytes (limits.${limit})`);
    this.name = 'ResponseLimitError';
    this.limit = limit;
    this.bytes = bytes;
  }
}

const WHAT: Record<ResponseLimit, string> = {
  responseBytes: 'the response body',
  eventBytes: 'a stream line or event',
  preTokenBytes: 'the stream data before the first token',
};

/**
 * The whole body as text, at most `limit` bytes. A larger body (declared or sent) is destroyed and
 * rejects with a `ResponseLimitError` at once, without reading the rest.
 */
export async function readBounded(
  body: Readable,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  limit: number,
): Promise<string> {
  const declared = Number(headers['content-length']);
  if (declared > limit) {
    body.destroy();
    throw new ResponseLimitError('responseBytes', limit);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) {
      parts.length = 0;
      body.destroy();
      throw new ResponseLimitError('responseBytes', limit);
    }
    parts.push(buffer);
  }
  return Buffer.concat(parts, size).toString('utf8');
}

/** The first `limit` bytes of a body as text; the rest is not read (the body is destroyed). */
export async function readHead(body: Readable, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    parts.push(buffer);
    size += buffer.length;
    if (size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(parts, size).subarray(0, limit).toString('utf8');
}

/**
 * An SSE parser that holds at most `maxEventBytes` characters: an unfinished line and the `data:`
 * lines of an event not yet ended by a blank line count together. Past that it calls `onOverflow`
 * once, forgets what it held and ignores further input.
 */
export function boundedSseParser(
  maxEventBytes: number,
  onEvent: (event: EventSourceMessage) => void,
  onOverflow: (error: ResponseLimitError) => void,
): Pick<EventSourceParser, 'feed'> {
  let overflowed = false;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    onEvent,
    onError: (error) => {
      if (error.type !== 'max-buffer-size-exceeded' || overflowed) return;
      overflowed = true;
      onOverflow(new ResponseLimitError('eventBytes', maxEventBytes));
    },
  });
  return {
    feed(text: string): void {
      if (!overflowed) parser.feed(text);
    },
  };
}
