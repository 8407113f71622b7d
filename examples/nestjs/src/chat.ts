/** What the chat routes send: the request to the model, the summary of a call, stream errors. */
import { AiFailoverError, type ChatRequest, type RequestReport } from '@ai-failover/core';

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

/** The data of the `error` event that ends a stream cut short (no provider details). */
export function streamError(error: unknown): { code: string; message: string } {
  if (error instanceof AiFailoverError && error.httpStatus < 500) {
    return { code: error.code, message: error.message };
  }
  return {
    code: error instanceof AiFailoverError ? error.code : 'INTERNAL_ERROR',
    message: 'The answer stopped before it was complete',
  };
}
