import {
  AiFailoverError,
  type AttemptReport,
  type ChatCompletionChunk,
  type RequestReport,
} from '@ai-failover/core';
import { createScrubber, openAiErrorBody, publicProblem } from '@ai-failover/core/http';
import type { MessageEvent } from '@nestjs/common';
import { catchError, type Observable, type OperatorFunction, of, pipe, throwError } from 'rxjs';
import { filter, map } from 'rxjs/operators';
import type { ChatStreamEvent } from './chat-stream-event';

/** Options of `toSse()`. */
export interface ToSseOptions {
  /**
   * The data of a chunk's event; `undefined` sends no event for that chunk. Default: the chunk.
   * E.g. `(chunk) => chunk.choices[0]?.delta.content || undefined` sends the text alone.
   */
  chunk?: (chunk: ChatCompletionChunk) => unknown;
  /**
   * The data of the `event: done` sent when the stream ends cleanly, from the request's report;
   * `false` sends none. Default: the report without the providers' error messages and the
   * call's metadata (what answered, the attempts, usage, cost, latencies).
   */
  done?: ((report: RequestReport) => unknown) | false;
  /**
   * Send an `ai-failover` error as an `event: error` whose data is the error body of every route
   * and handler, `{ error: { message, type, param, code } }` (a neutral message for a server
   * error), then end the stream, rather than erroring the Observable (Nest would then send a
   * generic "Internal server error" event and log the error). Default `true`.
   */
  errorEvent?: boolean;
}

/**
 * Maps the events of `AiFailoverService.chatEvents()` to `MessageEvent`s for an `@Sse()` route:
 * `data: <chunk>` per chunk, then `event: done` with the report when the stream ends cleanly, or
 * `event: error` when the call fails. A client that sees no `done` knows its answer is incomplete.
 *
 * ```ts
 * @Sse('stream')
 * stream(@Query('q') q: string): Observable<MessageEvent> {
 *   return this.ai.chatEvents({ messages: [{ role: 'user', content: q }] }).pipe(toSse());
 * }
 * ```
 */
export function toSse(options: ToSseOptions = {}): OperatorFunction<ChatStreamEvent, MessageEvent> {
  const chunkData = options.chunk;
  const doneData = options.done ?? clientReport;
  const errorEvent = options.errorEvent ?? true;
  const scrub = createScrubber();
  const events = pipe(
    map((event: ChatStreamEvent): MessageEvent | undefined => {
      if (event.type === 'chunk') {
        const data = chunkData ? chunkData(event.chunk) : event.chunk;
        return data === undefined ? undefined : { data: data as MessageEvent['data'] };
      }
      return doneData === false ? undefined : { type: 'done', data: doneData(event.report) as object };
    }),
    filter((event): event is MessageEvent => event !== undefined),
  );
  if (!errorEvent) return events;
  return (source: Observable<ChatStreamEvent>): Observable<MessageEvent> =>
    source.pipe(
      events,
      catchError((error: unknown) => {
        if (!(error instanceof AiFailoverError)) return throwError(() => error);
        return of<MessageEvent>({ type: 'error', data: openAiErrorBody(publicProblem(error, scrub)) });
      }),
    );
}

/** A report fit for the HTTP client: without provider error messages and the call's own labels. */
function clientReport(report: RequestReport): object {
  const { metadata: _metadata, attempts, ...rest } = report;
  return { ...rest, attempts: attempts.map(withoutMessage) };
}

function withoutMessage(attempt: AttemptReport): Omit<AttemptReport, 'error'> {
  const { error: _error, ...rest } = attempt;
  return rest;
}
