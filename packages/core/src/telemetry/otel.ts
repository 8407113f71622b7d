/**
 * OpenTelemetry spans by the GenAI semantic conventions, made live: a request span
 * (`chat {group}`, kind INTERNAL) from the call's start, and for each attempt a span
 * (`chat {model}`, kind CLIENT) that is the active span while its HTTP call runs, so an HTTP
 * client instrumentation (`@opentelemetry/instrumentation-undici`) nests its span and sends a
 * `traceparent` under it. `@opentelemetry/api` is an optional peer dependency, loaded only when
 * tracing is asked for.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { GroupMember } from '../engine/runtime';
import type { AttemptReport, RequestReport } from '../types';
import type { Operation } from './channels';
import { isMissingModule } from './optional';

/** The `@opentelemetry/api` module. */
export type OtelApi = typeof import('@opentelemetry/api');

export interface TracingOptions {
  /** Tracer to use (default: `api.trace.getTracer('ai-failover')`, the global provider's). */
  tracer?: Tracer;
  /** The API module to use (default: `require('@opentelemetry/api')`). */
  api?: OtelApi;
}

/** What a request's spans are made with. */
export interface Tracing {
  readonly api: OtelApi;
  readonly tracer: Tracer;
}

/** The request parameters recorded on the request span, when the call sets them. */
interface RequestParameters {
  readonly max_tokens?: unknown;
  readonly temperature?: unknown;
  readonly top_p?: unknown;
}

/** @returns undefined when no `api` is given and `@opentelemetry/api` is not installed. */
export function createTracing(options: TracingOptions = {}): Tracing | undefined {
  const api = options.api ?? loadApi();
  if (!api) return undefined;
  return { api, tracer: options.tracer ?? api.trace.getTracer('ai-failover') };
}

function loadApi(): OtelApi | undefined {
  try {
    return require('@opentelemetry/api') as OtelApi;
  } catch (error) {
    if (isMissingModule(error, '@opentelemetry/api')) return undefined;
    throw error;
  }
}

/** The spans of one request: its own, and the one of the attempt serving it until it ends. */
export class RequestSpans {
  readonly #tracing: Tracing;
  readonly #operation: Operation;
  readonly #span: Span;
  readonly #context: Context;
  #serving: Span | undefined;

  constructor(tracing: Tracing, operation: Operation, model: string, parameters: RequestParameters) {
    this.#tracing = tracing;
    this.#operation = operation;
    const { api, tracer } = tracing;
    const parent = api.context.active();
    const attributes: Attributes = {
      'gen_ai.operation.name': operation,
      'gen_ai.request.model': model,
    };
    if (typeof parameters.max_tokens === 'number')
      attributes['gen_ai.request.max_tokens'] = parameters.max_tokens;
    if (typeof parameters.temperature === 'number') {
      attributes['gen_ai.request.temperature'] = parameters.temperature;
    }
    if (typeof parameters.top_p === 'number') attributes['gen_ai.request.top_p'] = parameters.top_p;
    this.#span = tracer.startSpan(
      `${operation} ${model}`,
      { kind: api.SpanKind.INTERNAL, attributes },
      parent,
    );
    this.#context = api.trace.setSpan(parent, this.#span);
  }

  /** Starts an attempt's span and runs `fn` (its HTTP call) with that span active. */
  runAttempt<T>(member: GroupMember, fn: () => Promise<T>): { span: Span | undefined; result: Promise<T> } {
    if (!this.#span.isRecording()) return { span: undefined, result: fn() };
    const { api, tracer } = this.#tracing;
    const provider = member.runtime.provider.config;
    const server = serverOf(provider.origin);
    const attributes: Attributes = {
      'gen_ai.operation.name': this.#operation,
      'gen_ai.provider.name': provider.id,
      'gen_ai.request.model': member.deployment.model,
      'server.address': server.address,
      'server.port': server.port,
      'ai_failover.deployment': member.runtime.id,
      'ai_failover.group': member.group,
    };
    const span = tracer.startSpan(
      `${this.#operation} ${member.deployment.model}`,
      { kind: api.SpanKind.CLIENT, attributes },
      this.#context,
    );
    return { span, result: api.context.with(api.trace.setSpan(this.#context, span), fn) };
  }

  /** Ends an attempt's span, or keeps the serving attempt's open until the request ends. */
  endAttempt(span: Span, attempt: AttemptReport): void {
    span.setAttribute('ai_failover.outcome', attempt.outcome);
    span.setAttribute('ai_failover.decision', attempt.decision);
    if (attempt.hedged) span.setAttribute('ai_failover.hedged', true);
    if (attempt.status !== undefined) span.setAttribute('http.response.status_code', attempt.status);
    if (attempt.retryAfterMs !== undefined)
      span.setAttribute('ai_failover.retry_after_ms', attempt.retryAfterMs);
    if (attempt.decision === 'cancelled') {
      // Lost a hedge race: given up on purpose, not failed (even when it answered in the meantime).
      span.end();
      return;
    }
    if (attempt.outcome === 'success') {
      this.#serving = span;
      return;
    }
    const type = attempt.status === undefined ? attempt.outcome : String(attempt.status);
    span.setAttribute('error.type', type);
    span.setStatus({
      code: this.#tracing.api.SpanStatusCode.ERROR,
      message: attempt.error ?? attempt.outcome,
    });
    span.end();
  }

  /** Ends the serving attempt's span and the request's, with what the report says. */
  end(report: RequestReport, error: Error | undefined): void {
    const { api } = this.#tracing;
    const span = this.#span;
    const serving = this.#serving;
    if (span.isRecording()) {
      const served: Attributes = {};
      if (report.provider !== undefined) served['gen_ai.provider.name'] = report.provider;
      if (report.responseModel !== undefined) served['gen_ai.response.model'] = report.responseModel;
      if (report.usage) {
        served['gen_ai.usage.input_tokens'] = report.usage.prompt_tokens;
        served['gen_ai.usage.output_tokens'] = report.usage.completion_tokens;
      }
      span.setAttributes(served);
      serving?.setAttributes(served);
      const attributes: Attributes = {
        'ai_failover.request_id': report.requestId,
        'ai_failover.failovers': report.failovers,
        'ai_failover.attempts': report.attempts.length,
      };
      if (report.deployment !== undefined) attributes['ai_failover.deployment'] = report.deployment;
      if (report.servedBy !== undefined) attributes['ai_failover.served_by'] = report.servedBy;
      if (report.costUsd !== undefined) attributes['ai_failover.cost_usd'] = report.costUsd;
      if (report.timeToFirstTokenMs !== undefined) {
        attributes['ai_failover.time_to_first_token_ms'] = report.timeToFirstTokenMs;
      }
      span.setAttributes(attributes);
    }
    if (error) {
      const type = errorCode(error);
      const status = { code: api.SpanStatusCode.ERROR, message: error.message };
      span.setAttribute('error.type', type);
      span.setStatus(status);
      serving?.setAttribute('error.type', type);
      serving?.setStatus(status);
    }
    // One end time for both: each span anchors its own clock offset, so two separate readings
    // could end the attempt a few microseconds after the request that holds it.
    const endTime = performance.timeOrigin + performance.now();
    serving?.end(endTime);
    span.end(endTime);
  }
}

const servers = new Map<string, { address: string; port: number }>();

/** `server.address` and `server.port` of an origin, parsed once. */
function serverOf(origin: string): { address: string; port: number } {
  let server = servers.get(origin);
  if (!server) {
    const url = new URL(origin);
    server = {
      address: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    };
    servers.set(origin, server);
  }
  return server;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code ? code : error.name || 'Error';
}
