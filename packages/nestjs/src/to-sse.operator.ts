import { AiFailoverError, type ChatCompletionChunk } from '@ai-failover/core';
import { createScrubber, publicProblem } from '@ai-failover/core/http';
import type { MessageEvent } from '@nestjs/common';
import { catchError, concat, map, type Observable, type OperatorFunction, of, throwError } from 'rxjs';

/** Options of `toSse()`. */
export interface ToSseOptions {
  /**
   * Data of a last event sent when the stream completes, so a client (an `EventSource` would
   * otherwise reconnect) knows the answer is complete. Default `'[DONE]'`, as OpenAI sends;
   * `false` sends none.
   */
  done?: string | false;
  /**
   * Send an `ai-failover` error as an `event: error` whose data is `{ statusCode, code, message }`
   * (the status and message the exception filter would answer with), then end the stream, rather than erroring the Observable (Nest would then send a generic
   * "Internal server error" event and log the error). Default `true`.
   */
  errorEvent?: boolean;
}

/**
 * Maps the chunks of `AiFailoverService.chatStream()` to `MessageEvent`s (`{ data: chunk }`) for an
 * `@Sse()` route, ending with a `[DONE]` event, or an `error` event when the call fails.
 *
 * ```ts
 * @Sse('stream')
 * stream(@Query('q') q: string): Observable<MessageEvent> {
 *   return this.ai.chatStream({ messages: [{ role: 'user', content: q }] }).pipe(toSse());
 * }
 * ```
 */
export function toSse(options: ToSseOptions = {}): OperatorFunction<ChatCompletionChunk, MessageEvent> {
  const done = options.done ?? '[DONE]';
  const errorEvent = options.errorEvent ?? true;
  const scrub = createScrubber();
  return (source: Observable<ChatCompletionChunk>): Observable<MessageEvent> => {
    const events = source.pipe(map((chunk): MessageEvent => ({ data: chunk })));
    const ended = done === false ? events : concat(events, of<MessageEvent>({ data: done }));
    if (!errorEvent) return ended;
    return ended.pipe(
      catchError((error: unknown) => {
        if (!(error instanceof AiFailoverError)) return throwError(() => error);
        const problem = publicProblem(error, scrub);
        return of<MessageEvent>({
          type: 'error',
          data: { statusCode: problem.status, code: error.code, message: problem.message },
        });
      }),
    );
  };
}
