import {
  type AiClient,
  AiFailoverError,
  type AttemptReport,
  type CallOptions,
  type ChatRequest,
  type ChatResult,
  type ChatStream,
  type EmbeddingsRequest,
  type EmbeddingsResult,
  type HealthReport,
  type LivenessReport,
  type ReadinessReport,
  type RequestReport,
} from '@ai-failover/core';
import {
  type ChatSseOptions,
  createScrubber,
  openAiErrorBody,
  problemFor,
  type Scrubber,
} from '@ai-failover/core/http';
import { Inject, Injectable, type MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { AI_FAILOVER_CLIENT } from './ai-failover.constants';
import { getAiFailoverContext, resolveCall } from './ai-failover.context';
import type { ChatStreamEvent } from './chat-stream-event';

/**
 * The client's calls for Nest code. Inside a request, each call uses the handler's `@UseModel()`
 * selection (unless the call names its own `model`) and is aborted when the HTTP client
 * disconnects. Options passed to a call win over both.
 */
@Injectable()
export class AiFailoverService {
  private readonly scrub: Scrubber;

  constructor(@Inject(AI_FAILOVER_CLIENT) private readonly aiClient: AiClient) {
    this.scrub = createScrubber(aiClient);
  }

  /** The underlying client (events, usage, metrics, `bind`). */
  get client(): AiClient {
    return this.aiClient;
  }

  /** One chat completion, failing over as needed. */
  async chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult> {
    const call = resolveCall(this.aiClient, options);
    return call.caller.chat(request, call.options);
  }

  /**
   * A streaming chat completion, as the core's `ChatStream`: an async iterable of chunks with
   * `done` (the request's report, however the stream ended), `abort()` and `toReadableStream()`.
   * Resolves once the first content chunk is in hand, so every failover happens before it does.
   */
  async chatStream(request: ChatRequest, options?: CallOptions): Promise<ChatStream<RequestReport>> {
    const call = resolveCall(this.aiClient, options);
    return call.caller.chatStream(request, call.options);
  }

  /**
   * A streaming chat completion as a cold Observable of events: a `chunk` event per chunk, then an
   * `end` event with the request's report. A failure errors the Observable with the typed error,
   * whose `report` holds the attempts (and, for a stream cut midway, who was serving it). Each
   * subscription starts a call, and unsubscribing aborts it upstream. The request context is
   * captured now, so an Observable returned from an `@Sse()` handler and subscribed to later
   * still uses the handler's model and is aborted when its client disconnects. For an `@Sse()`
   * route, `chatSse()` gives the events ready to send.
   */
  chatEvents(request: ChatRequest, options?: CallOptions): Observable<ChatStreamEvent> {
    const context = getAiFailoverContext();
    const explicitSignal = options?.signal;
    return new Observable<ChatStreamEvent>((subscriber) => {
      const controller = new AbortController();
      const forward = (): void => controller.abort(explicitSignal?.reason);
      if (explicitSignal?.aborted) forward();
      else explicitSignal?.addEventListener('abort', forward, { once: true });
      const call = resolveCall(this.aiClient, { ...options, signal: controller.signal }, context);
      let stream: ChatStream<RequestReport> | undefined;

      const pump = async (): Promise<void> => {
        stream = await call.caller.chatStream(request, call.options);
        if (subscriber.closed) {
          stream.abort();
          return;
        }
        for await (const chunk of stream) {
          subscriber.next({ type: 'chunk', chunk });
          if (subscriber.closed) return;
        }
        const report = await stream.done;
        if (subscriber.closed) return;
        subscriber.next({ type: 'end', report });
        subscriber.complete();
      };
      pump().catch((error: unknown) => {
        if (!subscriber.closed) subscriber.error(error);
      });

      return () => {
        explicitSignal?.removeEventListener('abort', forward);
        controller.abort(new Error('the subscriber unsubscribed'));
        stream?.abort();
      };
    });
  }

  /**
   * A streaming chat completion as the `MessageEvent`s of an `@Sse()` route, made by the core's
   * `ChatStream.toSseEvents()`: `data: <chunk>` per chunk, then `event: done` with the request's
   * report (without provider messages and the call's metadata), or `event: error` with the OpenAI
   * error body, also when no deployment could start the stream. A client that sees no `done` knows
   * its answer is incomplete. `sse` reshapes the chunk, end and error events; like `chatEvents()`,
   * it is cold, keeps the request context, and unsubscribing aborts the upstream call.
   *
   * ```ts
   * @Sse('stream')
   * stream(@Query('q') q: string): Observable<MessageEvent> {
   *   return this.ai.chatSse({ messages: [{ role: 'user', content: q }] });
   * }
   * ```
   */
  chatSse(
    request: ChatRequest,
    sse: ChatSseOptions<RequestReport> = {},
    options?: CallOptions,
  ): Observable<MessageEvent> {
    const context = getAiFailoverContext();
    const explicitSignal = options?.signal;
    const eventOptions: ChatSseOptions<RequestReport> = { end: doneWithReport, ...sse };
    return new Observable<MessageEvent>((subscriber) => {
      const controller = new AbortController();
      const forward = (): void => controller.abort(explicitSignal?.reason);
      if (explicitSignal?.aborted) forward();
      else explicitSignal?.addEventListener('abort', forward, { once: true });
      const call = resolveCall(this.aiClient, { ...options, signal: controller.signal }, context);
      let stream: ChatStream<RequestReport> | undefined;

      const pump = async (): Promise<void> => {
        try {
          stream = await call.caller.chatStream(request, call.options);
        } catch (error) {
          if (!(error instanceof AiFailoverError)) throw error;
          const data = sse.error ? sse.error(error) : openAiErrorBody(problemFor(error, this.scrub));
          subscriber.next({ type: 'error', data: typeof data === 'string' ? data : JSON.stringify(data) });
          subscriber.complete();
          return;
        }
        if (subscriber.closed) {
          stream.abort();
          return;
        }
        for await (const event of stream.toSseEvents(eventOptions)) {
          if (subscriber.closed) return;
          subscriber.next(event.event ? { type: event.event, data: event.data } : { data: event.data });
        }
        subscriber.complete();
      };
      pump().catch((error: unknown) => {
        if (!subscriber.closed) subscriber.error(error);
      });

      return () => {
        explicitSignal?.removeEventListener('abort', forward);
        controller.abort(new Error('the subscriber unsubscribed'));
        stream?.abort();
      };
    });
  }

  /** Embeddings, with the same failover plan. */
  async embeddings(request: EmbeddingsRequest, options?: CallOptions): Promise<EmbeddingsResult> {
    const call = resolveCall(this.aiClient, options);
    return call.caller.embeddings(request, call.options);
  }

  /** Full health report (status, per model group, deployment and provider). */
  health(): HealthReport {
    return this.aiClient.health();
  }

  /** Ready when every model group has a usable deployment. */
  readiness(): ReadinessReport {
    return this.aiClient.readiness();
  }

  /** The process is up. */
  liveness(): LivenessReport {
    return this.aiClient.liveness();
  }
}

/** The `event: done` of `chatSse()`: the report, without provider messages and the call's metadata. */
function doneWithReport(report: RequestReport): { event: string; data: object } {
  const { metadata: _metadata, attempts, ...rest } = report;
  return { event: 'done', data: { ...rest, attempts: attempts.map(withoutMessage) } };
}

function withoutMessage(attempt: AttemptReport): Omit<AttemptReport, 'error'> {
  const { error: _error, ...rest } = attempt;
  return rest;
}
