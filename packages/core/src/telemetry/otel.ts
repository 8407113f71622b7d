/**
 * OpenTelemetry tracing: one span per request and one child span per attempt, built from the
 * request's report when it finishes. `@opentelemetry/api` is an optional peer dependency, loaded
 * only when tracing is asked for; without a registered SDK its tracer records nothing, and only
 * the request span is started.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { AiClient } from '../client';
import type { Disposer } from '../events';
import type { AttemptReport, RequestReport } from '../types';
import { isMissingModule } from './optional';

/** The `@opentelemetry/api` module. */
export type OtelApi = typeof import('@opentelemetry/api');

/** What tracing reads: the client's events (an `AiClient` fits). */
export interface TracingSource {
  on: AiClient['on'];
}

export interface TracingOptions {
  /** Tracer to use (default: `api.trace.getTracer('ai-failover')`, the global provider's). */
  tracer?: Tracer;
  /** The API module to use (default: `require('@opentelemetry/api')`). */
  api?: OtelApi;
}

export interface Tracing {
  /** Stops making spans (removes the event listeners). Idempotent. */
  close(): void;
}

/**
 * Makes spans from `source`'s finished requests:
 *
 * - `ai.request` (kind INTERNAL), child of the context active when the request finished (the
 *   app's own span, with a context manager registered), from the request's start to its end (a
 *   stream's end included). Attributes: `ai.request_id`, `ai.model` (group asked for),
 *   `ai.deployment`, `ai.provider`, `ai.served_by`, `ai.outcome` (`success` or the error code
 *   lowercased), `ai.failovers`, `ai.attempts`, `ai.cost_usd`, `ai.tokens.input`,
 *   `ai.tokens.output`, `ai.time_to_first_token_ms`, and `error.type` (the error code) on
 *   failure, with an error status.
 * - `ai.attempt` (kind CLIENT) per attempt, child of `ai.request`. Attributes: `ai.deployment`,
 *   `ai.provider`, `ai.group`, `ai.outcome`, `ai.decision`, `ai.status`, `ai.retry_after_ms`;
 *   error status unless it succeeded. Reports hold each attempt's duration, not its start, so
 *   times are rebuilt back from the end of the attempts (the first token, for a stream): waits
 *   between attempts (backoff, Retry-After) fall before the first attempt. The attempt that
 *   served a stream lasts until the stream ended.
 *
 * @returns undefined when no `api` is given and `@opentelemetry/api` is not installed.
 */
export function createTracing(source: TracingSource, options: TracingOptions = {}): Tracing | undefined {
  const api = options.api ?? loadApi();
  if (!api) return undefined;
  const tracer = options.tracer ?? api.trace.getTracer('ai-failover');
  const disposers: Disposer[] = [
    source.on('success', ({ report }) => trace(api, tracer, report, undefined)),
    source.on('requestError', ({ report, error }) => trace(api, tracer, report, error)),
  ];
  let closed = false;
  return {
    close() {
      if (closed) return;
      closed = true;
      for (const dispose of disposers) dispose();
    },
  };
}

function loadApi(): OtelApi | undefined {
  try {
    return require('@opentelemetry/api') as OtelApi;
  } catch (error) {
    if (isMissingModule(error, '@opentelemetry/api')) return undefined;
    throw error;
  }
}

function trace(api: OtelApi, tracer: Tracer, report: RequestReport, error: Error | undefined): void {
  const end = Date.now();
  const start = end - report.latencyMs;
  const code = error ? errorCode(error) : undefined;
  const attributes: Attributes = {
    'ai.request_id': report.requestId,
    'ai.model': report.model,
    'ai.outcome': code ? code.toLowerCase() : 'success',
    'ai.failovers': report.failovers,
    'ai.attempts': report.attempts.length,
  };
  if (report.deployment !== undefined) attributes['ai.deployment'] = report.deployment;
  if (report.provider !== undefined) attributes['ai.provider'] = report.provider;
  if (report.servedBy !== undefined) attributes['ai.served_by'] = report.servedBy;
  if (report.costUsd !== undefined) attributes['ai.cost_usd'] = report.costUsd;
  if (report.usage) {
    attributes['ai.tokens.input'] = report.usage.prompt_tokens;
    attributes['ai.tokens.output'] = report.usage.completion_tokens;
  }
  if (report.timeToFirstTokenMs !== undefined) {
    attributes['ai.time_to_first_token_ms'] = report.timeToFirstTokenMs;
  }
  if (code) attributes['error.type'] = code;

  const parent = api.context.active();
  const span = tracer.startSpan(
    'ai.request',
    { kind: api.SpanKind.INTERNAL, startTime: start, attributes },
    parent,
  );
  if (span.isRecording()) {
    traceAttempts(api, tracer, api.trace.setSpan(parent, span), report, start, end);
  }
  if (error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: error.message });
  span.end(end);
}

function traceAttempts(
  api: OtelApi,
  tracer: Tracer,
  context: Context,
  report: RequestReport,
  start: number,
  end: number,
): void {
  const attempts = report.attempts;
  const n = attempts.length;
  const streamed = report.timeToFirstTokenMs !== undefined;
  const starts = new Array<number>(n);
  const ends = new Array<number>(n);
  let cursor = streamed ? start + report.timeToFirstTokenMs! : end;
  for (let i = n - 1; i >= 0; i--) {
    ends[i] = cursor;
    starts[i] = Math.max(start, cursor - attempts[i]!.latencyMs);
    cursor = starts[i]!;
  }
  if (streamed && n > 0 && attempts[n - 1]!.outcome === 'success') ends[n - 1] = end;
  for (let i = 0; i < n; i++) {
    const attempt = attempts[i]!;
    const span: Span = tracer.startSpan(
      'ai.attempt',
      { kind: api.SpanKind.CLIENT, startTime: starts[i]!, attributes: attemptAttributes(attempt) },
      context,
    );
    if (attempt.outcome !== 'success') {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: attempt.error ?? attempt.outcome });
    }
    span.end(ends[i]!);
  }
}

function attemptAttributes(attempt: AttemptReport): Attributes {
  const attributes: Attributes = {
    'ai.deployment': attempt.deployment,
    'ai.provider': attempt.provider,
    'ai.group': attempt.group,
    'ai.outcome': attempt.outcome,
    'ai.decision': attempt.decision,
  };
  if (attempt.status !== undefined) attributes['ai.status'] = attempt.status;
  if (attempt.retryAfterMs !== undefined) attributes['ai.retry_after_ms'] = attempt.retryAfterMs;
  return attributes;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code ? code : 'ERROR';
}
