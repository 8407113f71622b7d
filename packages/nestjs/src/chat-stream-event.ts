import type { ChatCompletionChunk, RequestReport } from '@ai-failover/core';

/** A chunk of a streaming chat completion, as it arrived. */
export interface ChatChunkEvent {
  readonly type: 'chunk';
  readonly chunk: ChatCompletionChunk;
}

/** The stream ended cleanly: the request's report (who answered, attempts, usage, cost). */
export interface ChatEndEvent {
  readonly type: 'end';
  readonly report: RequestReport;
}

/** What `AiFailoverService.chatEvents()` emits: `chunk` events, then one `end` event. */
export type ChatStreamEvent = ChatChunkEvent | ChatEndEvent;
