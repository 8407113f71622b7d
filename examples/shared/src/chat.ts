/** What the chat routes send: the request to the model, the summary of a call, and the SSE stream. */
import type { ServerResponse } from 'node:http';
import type { ChatRequest, ChatStream, RequestReport } from '@ai-failover/core';
import {
  type ChatSseOptions,
  createScrubber,
  type OpenAiErrorBody,
  openAiErrorBody,
  publicProblem,
} from '@ai-failover/core/http';

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
  /** The deployment that answered (`provider/model`). */
  deployment: string | null;
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
    deployment: report.deployment ?? null,
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

/**
 * What the example's stream events carry: one `data: {"delta": "..."}` per piece of text, then
 * `event: done` with the summary, or `event: error` if the provider stopped mid-answer.
 */
export const CHAT_SSE: ChatSseOptions<RequestReport> = {
  chunk: (chunk) => {
    const delta = chunk.choices[0]?.delta.content;
    return delta ? { delta } : undefined;
  },
  end: (report) => ({ event: 'done', data: summarize(report) }),
  error: streamError,
};

/**
 * Sends a started stream as server-sent events ({@link CHAT_SSE}), waiting while the socket is
 * full. When the browser goes away the upstream call is aborted (`req.ai`/`ctx.ai` calls are also
 * aborted on their own when the client disconnects).
 */
export async function sendChatStream(stream: ChatStream<RequestReport>, res: ServerResponse): Promise<void> {
  await stream.pipeSse(res, CHAT_SSE);
}

const scrub = createScrubber();

/**
 * The `event: error` payload of a stream that failed, in the error body shape of every route:
 * `{ error: { message, type, param, code } }`, the message neutral for a server error.
 */
export function streamError(error: unknown): OpenAiErrorBody {
  return openAiErrorBody(publicProblem(error, scrub));
}
