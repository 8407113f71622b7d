/**
 * Spans by the GenAI semantic conventions, checked with the real OpenTelemetry SDK (in-memory
 * exporter, AsyncLocalStorage context manager) and the real undici instrumentation, whose HTTP
 * spans and `traceparent` must nest under the attempt spans.
 */
import { fault, MockProvider } from '@ai-failover/testing';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { AiClient } from '../client';

const hello = { messages: [{ role: 'user', content: 'hello there' }], max_tokens: 64, temperature: 0.2 };

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();
let undici: UndiciInstrumentation;

beforeAll(() => {
  api.context.setGlobalContextManager(contextManager.enable());
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  undici = new UndiciInstrumentation();
  undici.setTracerProvider(provider);
  undici.enable();
});
afterAll(async () => {
  undici.disable();
  api.trace.disable();
  api.propagation.disable();
  api.context.disable();
  await provider.shutdown();
});

describe('tracing', () => {
  let mocks: MockProvider[];
  let client: AiClient;

  beforeEach(async () => {
    exporter.reset();
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
        embed: { deployments: [{ provider: 'a', model: 'embed-model' }] },
      },
      policy: { retries: 0 },
      tracing: true,
    });
  });

  afterEach(async () => {
    await client.close();
    await Promise.all(mocks.map((m) => m.close()));
  });

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
  const childrenOf = (span: ReadableSpan) => spans().filter((s) => parentOf(s) === span.spanContext().spanId);

  it('makes a chat {group} request span and a live CLIENT span per attempt, the HTTP spans and traceparent under each', async () => {
    mocks[0]!.script(fault.status(503));
    const { report } = await client.chat(hello);

    const [request] = named('chat chat');
    expect(request).toBeDefined();
    expect(request!.kind).toBe(api.SpanKind.INTERNAL);
    expect(request!.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(request!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'chat',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.provider.name': 'b',
      'gen_ai.response.model': 'b-model',
      'gen_ai.usage.input_tokens': report.usage!.prompt_tokens,
      'gen_ai.usage.output_tokens': report.usage!.completion_tokens,
      'ai_failover.request_id': report.requestId,
      'ai_failover.failovers': 1,
      'ai_failover.attempts': 2,
      'ai_failover.deployment': 'b/b-model',
      'ai_failover.served_by': 'chat',
      'ai_failover.cost_usd': report.costUsd,
    });

    const attempts = childrenOf(request!).filter((s) => s.kind === api.SpanKind.CLIENT);
    expect(attempts.map((s) => s.name).sort()).toEqual(['chat a-model', 'chat b-model']);
    const failed = named('chat a-model')[0]!;
    const served = named('chat b-model')[0]!;
    const port = (mock: MockProvider) => Number(new URL(mock.baseUrl).port);
    expect(failed.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'a',
      'gen_ai.request.model': 'a-model',
      'server.address': '127.0.0.1',
      'server.port': port(mocks[0]!),
      'ai_failover.deployment': 'a/a-model',
      'ai_failover.group': 'chat',
      'ai_failover.outcome': 'server_error',
      'ai_failover.decision': 'failover',
      'http.response.status_code': 503,
      'error.type': '503',
    });
    expect(failed.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(served.attributes).toMatchObject({
      'gen_ai.provider.name': 'b',
      'gen_ai.request.model': 'b-model',
      'gen_ai.response.model': 'b-model',
      'gen_ai.usage.output_tokens': report.usage!.completion_tokens,
      'server.port': port(mocks[1]!),
      'ai_failover.outcome': 'success',
    });
    expect(served.status.code).toBe(api.SpanStatusCode.UNSET);

    // The HTTP client's span of each attempt is its child, and the traceparent the provider got
    // names that HTTP span, in the request's trace.
    for (const [attempt, mock] of [
      [failed, mocks[0]!],
      [served, mocks[1]!],
    ] as const) {
      const [http] = childrenOf(attempt);
      expect(http).toMatchObject({ kind: api.SpanKind.CLIENT, name: 'POST' });
      const traceparent = mock.requests[0]!.headers.traceparent;
      expect(traceparent).toBe(`00-${request!.spanContext().traceId}-${http!.spanContext().spanId}-01`);
    }
  });

  it('keeps the serving attempt span open until the stream ends', async () => {
    mocks[0]!.script(fault.ok({ chunkDelayMs: 15 }));
    const stream = await client.chatStream(hello);
    const openedAt = Date.now();
    expect(named('chat a-model')).toHaveLength(0);
    for await (const _chunk of stream) {
      // drain
    }
    const report = await stream.done;
    const [request] = named('chat chat');
    const [attempt] = named('chat a-model');
    expect(request!.attributes).toMatchObject({
      'ai_failover.time_to_first_token_ms': report.timeToFirstTokenMs,
      'gen_ai.usage.output_tokens': report.usage!.completion_tokens,
    });
    expect(parentOf(attempt!)).toBe(request!.spanContext().spanId);
    const endOf = (span: ReadableSpan) => span.endTime[0] * 1000 + span.endTime[1] / 1e6;
    expect(endOf(attempt!)).toBeGreaterThanOrEqual(openedAt);
    expect(endOf(attempt!)).toBeLessThanOrEqual(endOf(request!));
  });

  it('gives a hedge its own attempt span; the overtaken attempt ends as cancelled, not failed', async () => {
    mocks[0]!.script(fault.ok({ latencyMs: 2000 }));
    const { report } = await client.chat(hello, { hedge: { afterMs: 50 } });
    expect(report.deployment).toBe('b/b-model');
    const [request] = named('chat chat');
    const slow = named('chat a-model');
    const hedge = named('chat b-model');
    // Both ended (the exporter holds finished spans only), each under the request with its own HTTP span.
    expect([slow.length, hedge.length]).toEqual([1, 1]);
    for (const attempt of [slow[0]!, hedge[0]!]) {
      expect(parentOf(attempt)).toBe(request!.spanContext().spanId);
      expect(childrenOf(attempt).map((s) => s.name)).toEqual(['POST']);
    }
    expect(slow[0]!.attributes).toMatchObject({
      'ai_failover.outcome': 'aborted',
      'ai_failover.decision': 'cancelled',
    });
    expect(slow[0]!.attributes['ai_failover.hedged']).toBeUndefined();
    expect(slow[0]!.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(hedge[0]!.attributes).toMatchObject({
      'ai_failover.outcome': 'success',
      'ai_failover.decision': 'done',
      'ai_failover.hedged': true,
      'gen_ai.usage.output_tokens': report.usage!.completion_tokens,
    });
    expect(request!.attributes['ai_failover.deployment']).toBe('b/b-model');
  });

  it('marks a failed request and the attempt cut midway with error.type', async () => {
    mocks[0]!.script(fault.status(503));
    mocks[1]!.script(fault.status(502));
    await expect(client.chat(hello)).rejects.toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED' });
    const [request] = named('chat chat');
    expect(request!.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(request!.attributes['error.type']).toBe('AI_ALL_ATTEMPTS_FAILED');
    expect(request!.attributes['gen_ai.provider.name']).toBeUndefined();

    exporter.reset();
    mocks[0]!.script(fault.resetMidStream(2));
    const stream = await client.chatStream(hello);
    await (async () => {
      for await (const _chunk of stream) {
        // drain
      }
    })().catch(() => {});
    const [cut] = named('chat a-model');
    expect(cut!.attributes['error.type']).toBe('AI_STREAM_INTERRUPTED');
    expect(cut!.status.code).toBe(api.SpanStatusCode.ERROR);
  });

  it("nests under the app's active span, and names embeddings after their operation", async () => {
    const app = provider.getTracer('app');
    await app.startActiveSpan('GET /ask', async (span) => {
      await client.embeddings({ input: 'hi' }, { model: 'embed' });
      span.end();
    });
    const [outer] = named('GET /ask');
    const [request] = named('embeddings embed');
    expect(parentOf(request!)).toBe(outer!.spanContext().spanId);
    expect(request!.attributes['gen_ai.operation.name']).toBe('embeddings');
    expect(named('embeddings embed-model')).toHaveLength(1);
  });

  it('makes no attempt spans when the request span is not sampled', async () => {
    const unsampled = new BasicTracerProvider({
      sampler: { shouldSample: () => ({ decision: 0 }), toString: () => 'never' },
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const quiet = new AiClient({
      providers: [{ id: 'a', baseUrl: mocks[0]!.baseUrl }],
      models: { chat: { deployments: [{ provider: 'a', model: 'a-model' }] } },
      tracing: { tracer: unsampled.getTracer('x') },
    });
    try {
      await quiet.chat(hello);
      expect(spans().filter((s) => s.name.startsWith('chat'))).toHaveLength(0);
    } finally {
      await quiet.close();
    }
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
      expect(create()).toBeUndefined();
    });
  });
});
