import { AsyncLocalStorage } from 'node:async_hooks';
import { fault, MockProvider } from '@ai-failover/testing';
import * as api from '@opentelemetry/api';
import { AiClient } from '../client';
import { createTracing } from './otel';

/** A finished (or open) span as the in-memory tracer saw it. */
interface Recorded {
  name: string;
  kind: api.SpanKind | undefined;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: api.Attributes;
  startTime: api.TimeInput | undefined;
  endTime: api.TimeInput | undefined;
  status: api.SpanStatus;
}

let ids = 0;
const nextId = (length: number) => (++ids).toString(16).padStart(length, '0');

class MemorySpan implements api.Span {
  readonly record: Recorded;
  readonly #context: api.SpanContext;
  readonly #recording: boolean;

  constructor(record: Recorded, recording: boolean) {
    this.record = record;
    this.#recording = recording;
    this.#context = { traceId: record.traceId, spanId: record.spanId, traceFlags: api.TraceFlags.SAMPLED };
  }

  spanContext(): api.SpanContext {
    return this.#context;
  }
  setAttribute(key: string, value: api.SpanAttributeValue): this {
    this.record.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: api.SpanAttributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: api.SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(name: string): this {
    this.record.name = name;
    return this;
  }
  end(endTime?: api.TimeInput): void {
    this.record.endTime = endTime;
  }
  isRecording(): boolean {
    return this.#recording && this.record.endTime === undefined;
  }
  recordException(): void {}
}

class MemoryTracer implements api.Tracer {
  readonly spans: Recorded[] = [];
  /** Whether its spans say they record (a sampled-out span does not). */
  recording = true;

  startSpan(
    name: string,
    options: api.SpanOptions = {},
    context: api.Context = api.context.active(),
  ): api.Span {
    const parent = api.trace.getSpanContext(context);
    const record: Recorded = {
      name,
      kind: options.kind,
      traceId: parent?.traceId ?? nextId(32),
      spanId: nextId(16),
      parentSpanId: parent?.spanId,
      attributes: { ...options.attributes },
      startTime: options.startTime,
      endTime: undefined,
      status: { code: api.SpanStatusCode.UNSET },
    };
    this.spans.push(record);
    return new MemorySpan(record, this.recording);
  }

  startActiveSpan<F extends (span: api.Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const span = this.startSpan(name, rest.length > 1 ? (rest[0] as api.SpanOptions) : {});
    return api.context.with(api.trace.setSpan(api.context.active(), span), () => fn(span)) as ReturnType<F>;
  }

  named(name: string): Recorded[] {
    return this.spans.filter((s) => s.name === name);
  }
}

/** The smallest context manager: AsyncLocalStorage, as the SDK's own does it. */
class StorageContextManager implements api.ContextManager {
  readonly #storage = new AsyncLocalStorage<api.Context>();
  active(): api.Context {
    return this.#storage.getStore() ?? api.ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: api.Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#storage.run(context, () => fn.apply(thisArg, args));
  }
  bind<T>(_context: api.Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#storage.disable();
    return this;
  }
}

const hello = { messages: [{ role: 'user', content: 'hello there' }] };

describe('createTracing', () => {
  let mocks: MockProvider[];
  let client: AiClient;
  let tracer: MemoryTracer;

  beforeEach(async () => {
    mocks = await Promise.all(['a', 'b'].map((name) => MockProvider.start({ name })));
    client = new AiClient({
      providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl, apiKey: `sk-${m.name}-key-0001` })),
      models: {
        chat: {
          deployments: mocks.map((m) => ({
            provider: m.name,
            model: `${m.name}-model`,
            price: { input: 1, output: 2 },
          })),
        },
      },
      policy: { retries: 0 },
    });
    tracer = new MemoryTracer();
  });

  afterEach(async () => {
    await client.close();
    await Promise.all(mocks.map((m) => m.close()));
  });

  it('makes a request span with one child span per attempt, timed back from the end', async () => {
    const tracing = createTracing(client, { tracer })!;
    mocks[0]!.script(fault.status(503, { latencyMs: 20 }));
    mocks[1]!.script(fault.ok({ latencyMs: 20 }));
    const before = Date.now();
    const { report } = await client.chat(hello);
    const after = Date.now();

    const [request] = tracer.named('ai.request');
    expect(request).toMatchObject({
      kind: api.SpanKind.INTERNAL,
      parentSpanId: undefined,
      status: { code: api.SpanStatusCode.UNSET },
      attributes: {
        'ai.request_id': report.requestId,
        'ai.model': 'chat',
        'ai.deployment': 'b/b-model',
        'ai.provider': 'b',
        'ai.served_by': 'chat',
        'ai.outcome': 'success',
        'ai.failovers': 1,
        'ai.attempts': 2,
        'ai.cost_usd': report.costUsd,
        'ai.tokens.input': report.usage!.prompt_tokens,
        'ai.tokens.output': report.usage!.completion_tokens,
      },
    });
    const start = request!.startTime as number;
    const end = request!.endTime as number;
    expect(start).toBeGreaterThanOrEqual(before);
    expect(end).toBeLessThanOrEqual(after);
    expect(end - start).toBe(report.latencyMs);

    const attempts = tracer.named('ai.attempt');
    expect(attempts).toHaveLength(2);
    for (const attempt of attempts) {
      expect(attempt.parentSpanId).toBe(request!.spanId);
      expect(attempt.traceId).toBe(request!.traceId);
      expect(attempt.kind).toBe(api.SpanKind.CLIENT);
    }
    const [first, second] = attempts as [Recorded, Recorded];
    expect(first.attributes).toEqual({
      'ai.deployment': 'a/a-model',
      'ai.provider': 'a',
      'ai.group': 'chat',
      'ai.outcome': 'server_error',
      'ai.decision': 'failover',
      'ai.status': 503,
    });
    expect(first.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(second.attributes).toMatchObject({
      'ai.deployment': 'b/b-model',
      'ai.outcome': 'success',
      'ai.decision': 'done',
    });
    expect(second.status.code).toBe(api.SpanStatusCode.UNSET);
    // Back to back, ending with the request, each as long as its report says.
    expect(second.endTime).toBe(end);
    expect((second.endTime as number) - (second.startTime as number)).toBe(report.attempts[1]!.latencyMs);
    expect(first.endTime).toBe(second.startTime);
    expect((first.endTime as number) - (first.startTime as number)).toBe(report.attempts[0]!.latencyMs);
    expect(first.startTime as number).toBeGreaterThanOrEqual(start);
    tracing.close();
  });

  it('marks a failed request with an error status and its error code', async () => {
    createTracing(client, { tracer });
    mocks[0]!.script(fault.status(503));
    mocks[1]!.script(fault.status(502));
    await expect(client.chat(hello)).rejects.toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED' });
    const [request] = tracer.named('ai.request');
    expect(request!.status).toMatchObject({
      code: api.SpanStatusCode.ERROR,
      message: expect.stringContaining('All attempts for "chat" failed'),
    });
    expect(request!.attributes).toMatchObject({
      'ai.outcome': 'ai_all_attempts_failed',
      'error.type': 'AI_ALL_ATTEMPTS_FAILED',
      'ai.failovers': 2,
    });
    expect(request!.attributes['ai.deployment']).toBeUndefined();
    const attempts = tracer.named('ai.attempt');
    expect(attempts.map((s) => s.attributes['ai.status'])).toEqual([503, 502]);
    expect(attempts.every((s) => s.status.code === api.SpanStatusCode.ERROR)).toBe(true);
  });

  it('lets the attempt that served a stream last until the stream ends', async () => {
    createTracing(client, { tracer });
    mocks[0]!.script(fault.ok({ chunkDelayMs: 15 }));
    const stream = await client.chatStream(hello);
    for await (const _chunk of stream) {
      // drain
    }
    const report = await stream.done;
    const [request] = tracer.named('ai.request');
    const [attempt] = tracer.named('ai.attempt');
    expect(request!.attributes['ai.time_to_first_token_ms']).toBe(report.timeToFirstTokenMs);
    expect(request!.attributes['ai.tokens.output']).toBe(report.usage!.completion_tokens);
    expect(attempt!.endTime).toBe(request!.endTime);
    expect((request!.endTime as number) - (request!.startTime as number)).toBe(report.latencyMs);
    expect(report.latencyMs).toBeGreaterThan(report.timeToFirstTokenMs!);
    expect(attempt!.startTime as number).toBe(
      (request!.startTime as number) + report.timeToFirstTokenMs! - report.attempts[0]!.latencyMs,
    );
  });

  it("makes the request span a child of the app's active span", async () => {
    const manager = new StorageContextManager();
    api.context.setGlobalContextManager(manager);
    try {
      createTracing(client, { tracer, api });
      const app = tracer.startSpan('http.request', {}, api.ROOT_CONTEXT);
      await api.context.with(api.trace.setSpan(api.ROOT_CONTEXT, app), () => client.chat(hello));
      const [request] = tracer.named('ai.request');
      expect(request!.parentSpanId).toBe(app.spanContext().spanId);
      expect(request!.traceId).toBe(app.spanContext().traceId);
    } finally {
      api.context.disable();
    }
  });

  it('uses the global tracer provider by default, and close() stops making spans', async () => {
    const provider: api.TracerProvider = { getTracer: () => tracer };
    api.trace.setGlobalTracerProvider(provider);
    try {
      const tracing = createTracing(client)!;
      await client.chat(hello);
      expect(tracer.named('ai.request')).toHaveLength(1);
      tracing.close();
      tracing.close();
      await client.chat(hello);
      expect(tracer.spans).toHaveLength(2);
    } finally {
      api.trace.disable();
    }
  });

  it('starts only the request span when it is not recorded', async () => {
    tracer.recording = false;
    createTracing(client, { tracer });
    mocks[0]!.script(fault.status(503));
    await client.chat(hello);
    expect(tracer.spans.map((s) => s.name)).toEqual(['ai.request']);
  });

  it('works with no tracer provider registered (spans go nowhere)', async () => {
    expect(createTracing(client)).toBeDefined();
    const { report } = await client.chat(hello);
    expect(report.deployment).toBe('a/a-model');
  });
});

describe('createTracing without @opentelemetry/api', () => {
  it('returns undefined', () => {
    jest.isolateModules(() => {
      jest.doMock('@opentelemetry/api', () => {
        const error = new Error("Cannot find module '@opentelemetry/api'") as Error & { code: string };
        error.code = 'MODULE_NOT_FOUND';
        throw error;
      });
      const { createTracing: create } = jest.requireActual<typeof import('./otel')>('./otel');
      expect(create({ on: () => () => {} })).toBeUndefined();
    });
  });
});
