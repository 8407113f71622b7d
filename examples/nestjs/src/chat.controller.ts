import { randomUUID } from 'node:crypto';
import type { RequestReport } from '@ai-failover/core';
import { chatRequest, readMessage, streamError, summarize } from '@ai-failover/example-shared';
import { AiFailoverService, UseModel } from '@ai-failover/nestjs';
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  type MessageEvent,
  Post,
  Query,
  Sse,
} from '@nestjs/common';
import { catchError, concat, defer, filter, finalize, map, type Observable, of } from 'rxjs';

export interface ChatAnswer {
  answer: string;
  deployment: string | null;
  attempts: ReturnType<typeof summarize>['attempts'];
  costUsd: number | null;
}

/** Every call of this controller goes to the model group `chat` (and fails over inside it). */
@UseModel('chat')
@Controller('chat')
export class ChatController {
  constructor(private readonly ai: AiFailoverService) {}

  @Post()
  @HttpCode(200)
  async chat(@Body() body: unknown): Promise<ChatAnswer> {
    const message = messageOf((body as { message?: unknown } | undefined)?.message);
    // Rejects with a typed error (503 when no provider could answer), which the module's
    // exception filter (exceptionFilter: true) answers as JSON.
    const { response, report } = await this.ai.chat(chatRequest(message));
    const { deployment, attempts, costUsd } = summarize(report);
    return { answer: response.choices[0]?.message.content ?? '', deployment, attempts, costUsd };
  }

  /**
   * One `data: {"delta": "..."}` event per piece of text, then `event: done` with the summary.
   * When the browser goes away Nest unsubscribes, which aborts the upstream call.
   */
  @Sse('stream')
  stream(@Query('message') query: unknown): Observable<MessageEvent> {
    const message = messageOf(query);
    // The Observable of chatStream() gives the chunks, not the report: the call is tagged, and
    // its report is picked up from the client's `success` event when the stream ends.
    const tag = randomUUID();
    const chunks = this.ai.chatStream(chatRequest(message), { metadata: { sse: tag } });
    return defer(() => {
      let report: RequestReport | undefined;
      const stopListening = this.ai.client.on('success', (event) => {
        if (event.report.metadata?.sse === tag) report = event.report;
      });
      const deltas = chunks.pipe(
        map((chunk) => chunk.choices[0]?.delta.content),
        filter((delta): delta is string => typeof delta === 'string' && delta !== ''),
        map((delta): MessageEvent => ({ data: { delta } })),
      );
      const done = defer(() => of<MessageEvent>({ type: 'done', data: report ? summarize(report) : {} }));
      return concat(deltas, done).pipe(
        catchError((error: unknown) => of<MessageEvent>({ type: 'error', data: streamError(error) })),
        finalize(stopListening),
      );
    });
  }
}

function messageOf(value: unknown): string {
  const input = readMessage(value);
  if ('error' in input) {
    throw new BadRequestException({ error: { code: 'INVALID_MESSAGE', message: input.error } });
  }
  return input.message;
}
