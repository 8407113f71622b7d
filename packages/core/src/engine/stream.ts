/**
 * Streaming: open an SSE attempt and hold it until its first content chunk (so the executor can
 * still fail over), then hand the caller a `ChatStream` that never restarts elsewhere: a failure
 * after content reached the caller ends in a `StreamInterruptedError`, never in a clean end.
 */
import type { ServerResponse } from 'node:http';
import { AbortError, ClientClosedError, DeadlineExceededError, StreamInterruptedError } from '../errors';
import { type ChatSseOptions, chatSseEvents, pipeChatSse, type SseEvent } from '../http/chat-sse';
import type { Scrubber } from '../http/problem';
import { badResponse, classifyError } from '../policies/classify';
import type { ChatCall, StreamDecoder } from '../protocols/wire';
import type { Redactor } from '../redact';
import { ResponseLimitError } from '../transport/bounded';
import type { AttemptReport, ChatCompletionChunk, ResolvedPolicy, Usage } from '../types';
import { AttemptFailure, failureFrom } from './failure';
import type { ProviderRuntime } from './runtime';
import type { AttemptScope, RequestScope } from './scope';
import { MAX_COMPARED_CHARS } from './similarity';
import { type ReaderWatch, SseReader } from './sse';
import { send } from './upstream';

export interface OpenedStream {
  readonly reader: SseReader;
  /** Chunks read before the first content chunk, that one included. */
  readonly buffered: ChatCompletionChunk[];
}

/**
 * True for a chunk that carries something the caller sees: text, a tool call, a refusal, an end,
 * or thinking (`reasoning_content` as DeepSeek and Qwen send it, `reasoning` / `reasoning_details`
 * as OpenRouter and vLLM do). Thinking is output: it starts the stream, so a reasoning model is not
 * cut off as silent while it thinks, and the caller sees it as it comes.
 */
export function hasContent(chunk: ChatCompletionChunk): boolean {
  const choice = chunk.choices?.[0];
  if (!choice) return false;
  if (choice.finish_reason) return true;
  const delta = choice.delta;
  if (!delta) return false;
  return (
    nonEmpty(delta.content) ||
    delta.tool_calls !== undefined ||
    delta.function_call !== undefined ||
    nonEmpty(delta.refusal) ||
    nonEmpty(delta.reasoning_content) ||
    nonEmpty(delta.reasoning) ||
    (Array.isArray(delta.reasoning_details) && delta.reasoning_details.length > 0)
  );
}

function nonEmpty(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Opens the stream and reads up to its first content (or thinking) chunk, within the three stream
 * clocks and the provider's limits (no more than `limits.preTokenBytes` of stream data before it).
 */
export async function openStream(
  provider: ProviderRuntime,
  keyIndex: number,
  call: ChatCall,
  decoder: StreamDecoder,
  attempt: AttemptScope,
  clocks: ResolvedPolicy['stream'],
  budgetMs: number,
  redact: Redactor,
): Promise<OpenedStream> {
  const limits = provider.config.limits;
  const started = performance.now();
  attempt.arm(Math.min(clocks.headersTimeoutMs, budgetMs), 'timeout');
  const response = await send(provider, keyIndex, 'POST', call.path, call.body, attempt);
  const type = String(response.headers['content-type'] ?? '');
  if (!type.includes('text/event-stream')) {
    response.body.destroy();
    throw new AttemptFailure(badResponse(`expected text/event-stream, got "${type}"`, response.statusCode));
  }
  const firstTokenMs = Math.min(clocks.firstTokenTimeoutMs, budgetMs) - (performance.now() - started);
  attempt.arm(firstTokenMs, 'first_token_timeout');
  const reader = new SseReader(response.body, decoder, { maxEventBytes: limits.eventBytes, redact });
  const buffered: ChatCompletionChunk[] = [];
  try {
    for (;;) {
      const chunk = await reader.next();
      if (chunk === undefined) {
        if (reader.complete) break;
        throw new AttemptFailure(
          classifyError(
            Object.assign(new Error('stream ended before its first token'), { code: 'UND_ERR_SOCKET' }),
          ),
        );
      }
      buffered.push(chunk);
      if (hasContent(chunk)) break;
      if (reader.delivered > limits.preTokenBytes) {
        buffered.length = 0;
        throw new ResponseLimitError('preTokenBytes', limits.preTokenBytes);
      }
    }
  } catch (error) {
    reader.destroy();
    throw failureFrom(error, attempt);
  }
  attempt.arm(clocks.idleTimeoutMs, 'stream_stalled');
  return { reader, buffered };
}

export interface StreamEnd {
  readonly usage: Usage | undefined;
  readonly error: Error | undefined;
  readonly chunks: number;
  /** The text delivered (its first 16 KB), when the stream was asked to keep it. */
  readonly text: string | undefined;
}

/**
 * The caller's side of a stream: an async iterable of chunks (single consumer), or a web
 * `ReadableStream`. `done` resolves with the final report once the stream has ended, however it
 * ended; iteration is what throws.
 */
export class ChatStream<R = unknown> implements AsyncIterableIterator<ChatCompletionChunk> {
  /** Id of the request (as in its report). */
  readonly requestId: string;
  /** Deployment serving the stream (`provider/model`). */
  readonly deployment: string;
  /** The attempts made before the stream started (the last one is the one serving it). */
  readonly attempts: readonly AttemptReport[];
  /** Resolves with the request's report when the stream has ended (successfully or not). */
  readonly done: Promise<R>;
  readonly #opened: OpenedStream;
  readonly #attempt: AttemptScope;
  readonly #scope: RequestScope;
  readonly #wantsUsage: boolean;
  readonly #onEnd: (end: StreamEnd) => R;
  readonly #scrub: Scrubber;
  #resolveDone!: (report: R) => void;
  #buffered = 0;
  #chunks = 0;
  #usage: Usage | undefined;
  #ended = false;
  #error: Error | undefined;
  /** Text kept for a comparison (a shadow's), when asked. */
  #text: string | undefined;

  constructor(
    requestId: string,
    attempts: readonly AttemptReport[],
    deployment: string,
    opened: OpenedStream,
    attempt: AttemptScope,
    scope: RequestScope,
    wantsUsage: boolean,
    onEnd: (end: StreamEnd) => R,
    scrub: Scrubber,
    keepText = false,
  ) {
    this.requestId = requestId;
    this.attempts = attempts;
    this.deployment = deployment;
    this.#opened = opened;
    this.#attempt = attempt;
    this.#scope = scope;
    this.#wantsUsage = wantsUsage;
    this.#onEnd = onEnd;
    this.#scrub = scrub;
    if (keepText) this.#text = '';
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    // A caller abort or a stalled upstream ends the stream even when nobody is reading it.
    attempt.signal.addEventListener('abort', this.#onAbort);
    // The idle clock measures the upstream's silence, not the consumer's pace.
    opened.reader.watch(this.#upstream);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<ChatCompletionChunk>> {
    for (;;) {
      if (this.#error) throw this.#error;
      if (this.#ended) return { done: true, value: undefined };
      let chunk: ChatCompletionChunk | undefined;
      if (this.#buffered < this.#opened.buffered.length) {
        chunk = this.#opened.buffered[this.#buffered++];
      } else {
        // A chunk already read costs no wait; only an empty queue waits for the socket.
        chunk = this.#opened.reader.take();
        if (chunk === undefined) {
          try {
            chunk = await this.#opened.reader.next();
          } catch (error) {
            throw this.#fail(error);
          }
        }
        if (this.#ended || this.#error) continue;
        if (chunk === undefined) {
          if (this.#opened.reader.complete) {
            this.#finish(undefined);
            return { done: true, value: undefined };
          }
          throw this.#fail(new Error('the stream ended before the answer was complete'));
        }
      }
      if (chunk === undefined) continue;
      if (chunk.usage) this.#usage = chunk.usage;
      if (!this.#wantsUsage && chunk.choices?.length === 0 && chunk.usage) continue;
      this.#chunks++;
      if (this.#text !== undefined && this.#text.length < MAX_COMPARED_CHARS) {
        const content = chunk.choices?.[0]?.delta?.content;
        if (typeof content === 'string') this.#text += content;
      }
      return { done: false, value: chunk };
    }
  }

  /** The caller stopped reading: stop the upstream call. */
  async return(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (!this.#ended && !this.#error) {
      this.#opened.reader.destroy();
      this.#finish(new AbortError([], 'the consumer stopped reading the stream'));
    }
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<ChatCompletionChunk>> {
    await this.return();
    throw error;
  }

  /** Aborts the stream and its upstream call. */
  abort(reason?: unknown): void {
    if (this.#ended || this.#error) return;
    this.#opened.reader.destroy();
    this.#error = new AbortError([], reason);
    this.#finish(this.#error);
  }

  /** The same chunks as a web `ReadableStream`; cancelling it aborts the upstream call. */
  toReadableStream(): ReadableStream<ChatCompletionChunk> {
    return new ReadableStream<ChatCompletionChunk>({
      pull: async (controller) => {
        try {
          const result = await this.next();
          if (result.done) controller.close();
          else controller.enqueue(result.value);
        } catch (error) {
          controller.error(error);
        }
      },
      cancel: async () => {
        await this.return();
      },
    });
  }

  /**
   * The chunks as server-sent events, as OpenAI sends them: `data: <chunk>` each, then
   * `data: [DONE]`, or `event: error` with an OpenAI error body when the stream fails (its message
   * scrubbed of keys, upstream URLs and addresses). `options` change what each event carries.
   * Stopping the iteration early aborts the upstream call. For frameworks that write the events
   * themselves (a NestJS `@Sse()` route); {@link pipeSse} writes them to a Node response.
   */
  toSseEvents(options: ChatSseOptions<R> = {}): AsyncGenerator<SseEvent, void, undefined> {
    return chatSseEvents(this, options, this.#scrub);
  }

  /**
   * Writes the stream to `res` as server-sent events (see {@link toSseEvents}), waiting whenever
   * the socket is full, and ends it. A response not yet started gets status 200 and the SSE
   * headers; a response that closes first aborts the upstream call. Resolves with the report.
   */
  pipeSse(res: ServerResponse, options: ChatSseOptions<R> = {}): Promise<R> {
    return pipeChatSse(this, res, options, this.#scrub);
  }

  /** Keeps the idle clock on the upstream: restarted by each arrival, stopped while the consumer is behind. */
  readonly #upstream: ReaderWatch = {
    received: () => this.#attempt.refresh(),
    paused: () => this.#attempt.disarm(),
    resumed: () => this.#attempt.resume(),
    ended: () => this.#attempt.disarm(),
  };

  readonly #onAbort = (): void => {
    if (this.#ended || this.#error) return;
    this.#fail(this.#attempt.signal.reason);
  };

  /** Records the failure once and returns the error iteration throws. */
  #fail(cause: unknown): Error {
    if (this.#error) return this.#error;
    let error: Error;
    if (this.#scope.cause === 'caller') error = new AbortError([], cause);
    else if (this.#scope.cause === 'closed') error = new ClientClosedError();
    else if (this.#scope.cause === 'deadline')
      error = new DeadlineExceededError(this.#scope.deadlineMs, this.#scope.elapsed(), []);
    else {
      const reason =
        this.#attempt.timedOut?.message ?? (cause instanceof Error ? cause.message : String(cause));
      error = new StreamInterruptedError(this.deployment, this.#chunks, reason, cause);
    }
    this.#error = error;
    this.#opened.reader.destroy();
    this.#finish(error);
    return error;
  }

  #finish(error: Error | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#opened.reader.watch(undefined);
    this.#attempt.signal.removeEventListener('abort', this.#onAbort);
    this.#attempt.dispose();
    this.#scope.dispose();
    this.#resolveDone(this.#onEnd({ usage: this.#usage, error, chunks: this.#chunks, text: this.#text }));
  }
}
