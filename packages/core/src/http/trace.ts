/**
 * The decision trace sent with every response of the OpenAI-compatible routes: which deployments
 * were tried, how each attempt ended, and how long it took, e.g.
 * `a/gpt-4.1;outcome=server_error;status=503;ms=12, b/gpt-4.1;outcome=success;ms=40`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AiClient } from '../client';
import type { Disposer } from '../events';
import type { AttemptReport, RequestReport } from '../types';

/** Longest trace header written; attempts past it are counted, not listed. */
const MAX_TRACE_LENGTH = 2048;

/** What is known about one HTTP request's call into the client. */
export interface Trace {
  requestId: string | undefined;
  readonly attempts: AttemptReport[];
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

/**
 * Collects the attempts of calls made inside `run()`, from the client's `attempt` events, so the
 * trace is known when a stream starts (before its report exists) and when a call fails.
 */
export class TraceRecorder {
  readonly #storage = new AsyncLocalStorage<Trace>();
  readonly #dispose: Disposer;

  constructor(client: AiClient) {
    this.#dispose = client.on('attempt', (event) => {
      const trace = this.#storage.getStore();
      if (!trace) return;
      if (trace.requestId === undefined) trace.requestId = event.requestId;
      else if (trace.requestId !== event.requestId) return;
      trace.attempts.push(event.attempt);
    });
  }

  /** Runs `fn` with a fresh trace that collects the attempts of the calls it makes. */
  run<T>(fn: (trace: Trace) => Promise<T>): Promise<T> {
    const trace: Trace = { requestId: undefined, attempts: [], deployment: undefined };
    return this.#storage.run(trace, () => fn(trace));
  }

  /** Stops listening to the client. */
  dispose(): void {
    this.#dispose();
  }
}

/** Fills a trace from a finished call's report (authoritative over the events). */
export function traceFromReport(trace: Trace, report: RequestReport): void {
  trace.requestId = report.requestId;
  trace.attempts.length = 0;
  trace.attempts.push(...report.attempts);
  trace.deployment = report.deployment;
}
