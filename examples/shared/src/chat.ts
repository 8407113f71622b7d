/** What the chat routes send: the request to the model, the summary of a call, and the SSE stream. */
import type { ServerResponse } from 'node:http';
import { AiFailoverError, type ChatRequest, type ChatStream, type RequestReport } from '@ai-failover/core';
import { drained, isGone } from '@ai-failover/core/http';

/** The longest message the routes accept, in characters. */
export const MAX_MESSAGE_LENGTH = 4_000;

/** One attempt of a call, as the routes show it. */
export interface AttemptSummary {
  deployment: string;
  outcome: string;
  status: number | null;
  latencyMs: number;
}

/** What a call did: who answered, after which attempts, at what cost. */
export interface CallSummary {
  servedBy: string | null;
  attempts: AttemptSummary[];
  failovers: number;
  costUsd: number | null;
  latencyMs: number;
  timeToFirstTokenMs?: number;
}

/** The user's message, or an explanation of what is wrong with it. */
export function readMessage(value: unknown): { message: string } | { error: string } {
  if (typeof value !== 'string' || value.trim() === '') {
    return { error: '"message" must be a non-empty string' };
  }
  if (value.length > MAX_MESSAGE_LENGTH) {
    return { error: `"message" must be at most ${MAX_MESSAGE_LENGTH} characters` };
  }
  return { message: value };
}

/** The chat request sent to the model group `chat`. */
export function chatRequest(message: string): ChatRequest {
  return {
    messages: [
      { role: 'system', content: 'You are a helpful assistant. Answer in a few sentences.' },
      { role: 'user', content: message },
    ],
  };
}

/** The parts of a report worth showing (provider error messages stay in the server's logs). */
export function summarize(report: RequestReport): CallSummary {
  const summary: CallSummary = {
    servedBy: report.deployment ?? null,
    attempts: report.attempts.map((attempt) => ({
      deployment: attempt.deployment,
      outcome: attempt.outcome,
      status: attempt.status ?? null,
      latencyMs: attempt.latencyMs,
    })),
    failovers: report.failovers,
    costUsd: report.costUsd === undefined ? null : roundUsd(report.costUsd),
    latencyMs: report.latencyMs,
  };
  if (report.timeToFirstTokenMs !== undefined) summary.timeToFirstTokenMs = report.timeToFirstTokenMs;
  return summary;
}

/** A cost rounded to a millionth of a cent (0.0000428 rather than 0.000042800000000000004). */
function roundUsd(usd: number): number {
  return Math.round(usd * 1e8) / 1e8;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * Sends a started stream as server-sent events: one `data: {"delta": "..."}` per piece of text,
 * then `event: done` with the summary, or `event: error` if the provider stopped mid-answer.
 * When the browser goes away the loop ends, which aborts the upstream call (`req.ai`/`ctx.ai`
 * calls are also aborted on their own when the client disconnects).
 */
export async function sendChatStream(stream: ChatStream<RequestReport>, res: ServerResponse): Promise<void> {
  res.writeHead(200, SSE_HEADERS);
  try {
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta && !(await sendEvent(res, undefined, { delta }))) return;
    }
    await sendEvent(res, 'done', summarize(await stream.done));
  } catch (error) {
    await sendEvent(res, 'error', streamError(error));
  } finally {
    if (!res.writableEnded) res.end();
  }
}

/** Writes one event; resolves `false` when the browser is gone. Waits while the socket is full. */
async function sendEvent(res: ServerResponse, event: string | undefined, data: unknown): Promise<boolean> {
  if (isGone(res) || res.writableEnded) return false;
  if (!res.write(`${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`)) await drained(res);
  return !res.destroyed;
}

/** The `event: error` payload of a stream that failed: the error itself when it is the caller's, else a neutral message. */
export function streamError(error: unknown): { code: string; message: string } {
  if (error instanceof AiFailoverError && error.httpStatus < 500) {
    return { code: error.code, message: error.message };
  }
  return {
    code: error instanceof AiFailoverError ? error.code : 'INTERNAL_ERROR',
    message: 'The answer stopped before it was complete',
  };
}
