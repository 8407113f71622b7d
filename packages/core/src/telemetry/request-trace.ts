/**
 * What the engine tells observers of a request — OpenTelemetry spans and the diagnostics
 * channels — at its start, around each attempt's HTTP call, and at its end. Built only while
 * someone observes: a request nobody traces pays for nothing.
 */
import type { Span } from '@opentelemetry/api';
import type { GroupMember } from '../engine/runtime';
import type { AttemptReport, RequestReport } from '../types';
import {
  attemptEnd,
  attemptStart,
  channelsObserved,
  type Operation,
  requestEnd,
  requestStart,
} from './channels';
import { RequestSpans, type Tracing } from './otel';

/** Makes the trace of each request. */
export class Telemetry {
  readonly #tracing: Tracing | undefined;

  constructor(tracing: Tracing | undefined) {
    this.#tracing = tracing;
  }

  /** The trace of a request that starts now, or `undefined` when nothing observes requests. */
  request(
    requestId: string,
    operation: Operation,
    model: string,
    stream: boolean,
    parameters: object,
  ): RequestTrace | undefined {
    if (!this.#tracing && !channelsObserved()) return undefined;
    return new RequestTrace(this.#tracing, requestId, operation, model, stream, parameters);
  }
}

export class RequestTrace {
  readonly requestId: string;
  readonly #operation: Operation;
  readonly #model: string;
  readonly #spans: RequestSpans | undefined;

  constructor(
    tracing: Tracing | undefined,
    requestId: string,
    operation: Operation,
    model: string,
    stream: boolean,
    parameters: object,
  ) {
    this.requestId = requestId;
    this.#operation = operation;
    this.#model = model;
    if (requestStart.hasSubscribers) requestStart.publish({ requestId, operation, model, stream });
    this.#spans = tracing && new RequestSpans(tracing, operation, model, parameters);
  }

  /** The trace of an attempt on `member`, started when its `run()` is called. */
  attempt(member: GroupMember): AttemptTrace {
    return new AttemptTrace(this, this.#spans, member);
  }

  /** The request ended (a stream: when the stream did), with its report and its error if it failed. */
  end(report: RequestReport, error: Error | undefined): void {
    if (requestEnd.hasSubscribers) {
      requestEnd.publish({
        requestId: this.requestId,
        operation: this.#operation,
        model: this.#model,
        report,
        error,
      });
    }
    this.#spans?.end(report, error);
  }
}

export class AttemptTrace {
  readonly #request: RequestTrace;
  readonly #spans: RequestSpans | undefined;
  readonly #member: GroupMember;
  #span: Span | undefined;

  constructor(request: RequestTrace, spans: RequestSpans | undefined, member: GroupMember) {
    this.#request = request;
    this.#spans = spans;
    this.#member = member;
  }

  /** Runs the attempt's HTTP call: announces it, and makes its span the active one meanwhile. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    if (attemptStart.hasSubscribers) {
      const member = this.#member;
      attemptStart.publish({
        requestId: this.#request.requestId,
        deployment: member.runtime.id,
        provider: member.runtime.provider.config.id,
        model: member.deployment.model,
        group: member.group,
      });
    }
    if (!this.#spans) return fn();
    const { span, result } = this.#spans.runAttempt(this.#member, fn);
    this.#span = span;
    return result;
  }

  /** The attempt ended, as its report says. */
  end(attempt: AttemptReport): void {
    if (attemptEnd.hasSubscribers) attemptEnd.publish({ requestId: this.#request.requestId, attempt });
    if (this.#span) this.#spans!.endAttempt(this.#span, attempt);
  }
}
