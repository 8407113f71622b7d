/**
 * The decision trace sent with every response of the OpenAI-compatible routes: which deployments
 * were tried, how each attempt ended, and how long it took, e.g.
 * `a/gpt-4.1;outcome=server_error;status=503;ms=12, b/gpt-4.1;outcome=success;ms=40`.
 */
import type { AttemptReport, RequestReport } from '../types';

/** Longest trace header written; attempts past it are counted, not listed. */
const MAX_TRACE_LENGTH = 2048;

/** What is known about one HTTP request's call into the client. */
export interface Trace {
  requestId: string | undefined;
  attempts: readonly AttemptReport[];
  /** The answering deployment, once known. */
  deployment: string | undefined;
}

/** The trace header value: one `deployment;outcome=...;status=...;ms=...` entry per attempt. */
export function formatTrace(attempts: readonly AttemptReport[]): string {
  let out = '';
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i]!;
    let entry = `${headerSafe(a.deployment)};outcome=${a.outcome}`;
    if (a.status !== undefined) entry += `;status=${a.status}`;
    entry += `;ms=${Math.round(a.latencyMs)}`;
    const next = out === '' ? entry : `${out}, ${entry}`;
    if (next.length > MAX_TRACE_LENGTH) return `${out}, +${attempts.length - i} more`;
    out = next;
  }
  return out;
}

/**
 * A string safe as a header value and as a trace field: printable ASCII, with `%`, `,`, `;`, `=`
 * and anything else percent-encoded.
 */
export function headerSafe(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (code > 0x20 && code < 0x7f && char !== '%' && char !== ',' && char !== ';' && char !== '=') {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/** A fresh, empty trace for one HTTP request. */
export function newTrace(): Trace {
  return { requestId: undefined, attempts: [], deployment: undefined };
}

/** Fills a trace from a started stream (its attempts so far; the last one serves it). */
export function traceFromStream(
  trace: Trace,
  stream: { requestId: string; attempts: readonly AttemptReport[]; deployment: string },
): void {
  trace.requestId = stream.requestId;
  trace.attempts = stream.attempts;
  trace.deployment = stream.deployment;
}

/** Fills a trace from a typed error that ended a call (its request id and attempts, when it has them). */
export function traceFromError(trace: Trace, error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const { requestId, attempts } = error as { requestId?: unknown; attempts?: unknown };
  if (typeof requestId === 'string') trace.requestId = requestId;
  if (Array.isArray(attempts)) trace.attempts = attempts as AttemptReport[];
}

/** Fills a trace from a finished call's report (authoritative over the events). */
export function traceFromReport(trace: Trace, report: RequestReport): void {
  trace.requestId = report.requestId;
  trace.attempts = report.attempts;
  trace.deployment = report.deployment;
}
