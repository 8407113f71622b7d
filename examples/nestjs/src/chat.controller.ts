import { CHAT_SSE, chatRequest, readMessage, summarize } from '@ai-failover/example-shared';
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
import type { Observable } from 'rxjs';

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
   * One `data: {"delta": "..."}` event per piece of text, then `event: done` with the summary of
   * the call's report, or `event: error` if the provider stopped mid-answer. When the browser goes
   * away Nest unsubscribes, which aborts the upstream call.
   */
  @Sse('stream')
  stream(@Query('message') query: unknown): Observable<MessageEvent> {
    const message = messageOf(query);
    // The same events as the Express and Koa examples, made by the core's ChatStream.toSseEvents().
    return this.ai.chatSse(chatRequest(message), CHAT_SSE);
  }
}

function messageOf(value: unknown): string {
  const input = readMessage(value);
  if ('error' in input) {
    throw new BadRequestException({ error: { code: 'INVALID_MESSAGE', message: input.error } });
  }
  return input.message;
}
