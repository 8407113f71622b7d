import 'reflect-metadata';
import {
  AbortError,
  type AiFailoverError,
  type ChatCompletionChunk,
  type RequestReport,
  StreamInterruptedError,
} from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get, type MessageEvent, Query, Sse } from '@nestjs/common';
import { firstValueFrom, type Observable, take, toArray } from 'rxjs';
import {
  AiFailoverModule,
  AiFailoverService,
  type ChatStreamEvent,
  getAiFailoverContext,
  runInAiFailoverContext,
  UseModel,
} from '.';
import {
  appStarter,
  closeAll,
  configFor,
  hello,
  PLATFORMS,
  parseSse,
  type RunningApp,
  startMocks,
} from './__tests__/support';

const handlerErrors: unknown[] = [];

@Controller('ai')
class StreamController {
  constructor(private readonly ai: AiFailoverService) {}

  @UseModel('fast')
  @Sse('stream')
  stream(): Observable<MessageEvent> {
    return this.ai.chatSse(hello);
  }

  @UseModel('slow')
  @Sse('slow')
  slow(): Observable<MessageEvent> {
    return this.ai.chatSse(hello);
  }

  @UseModel('down')
  @Sse('down')
  down(): Observable<MessageEvent> {
    return this.ai.chatSse(hello);
  }

  @UseModel('cut')
  @Sse('cut')
  cut(): Observable<MessageEvent> {
    return this.ai.chatSse(hello);
  }

  @UseModel('hang')
  @Get('hang')
  async hang() {
    try {
      return await this.ai.chat(hello);
    } catch (error) {
      handlerErrors.push(error);
      throw error;
    }
  }

  @UseModel('fast')
  @Get('text')
  async text(@Query('q') q: string) {
    const stream = await this.ai.chatStream({ messages: [{ role: 'user', content: q }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return { text, report: await stream.done };
  }
}

/** Reads a response body until `until` is true of the text so far, or the body ends. */
async function readUntil(
  body: ReadableStream<Uint8Array>,
  until: (text: string) => boolean,
): Promise<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text;
      text += decoder.decode(value, { stream: true });
      if (until(text)) return text;
    }
  } finally {
    reader.releaseLock();
  }
}

describe.each(PLATFORMS)('streaming and client disconnects (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let running: RunningApp;
  let service: AiFailoverService;

  beforeAll(async () => {
    mocks = await startMocks(['fast', 'slow', 'down', 'hang', 'cut']);
    running = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { exceptionFilter: true })],
      controllers: [StreamController],
    });
    service = running.app.get(AiFailoverService);
  });

  afterAll(async () => {
    await running?.close();
    await closeAll(mocks);
  });

  beforeEach(() => {
    for (const mock of Object.values(mocks)) mock.reset();
    mocks.slow!.setDefault(
      fault.ok({ content: 'one two three four five six seven eight', chunkDelayMs: 150 }),
    );
    mocks.down!.setDefault(fault.status(503));
    mocks.hang!.setDefault(fault.hang());
    mocks.cut!.setDefault(fault.resetMidStream(2, { content: 'one two three four' }));
    handlerErrors.length = 0;
  });

  it('streams the chunks of an @Sse() route from the handler model, ending with event: done and the report', async () => {
    const response = await fetch(`${running.url}/ai/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await response.text());
    const chunks = events.slice(0, -1).map((e) => e.data as ChatCompletionChunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fast');
    expect(events.at(-1)).toEqual({
      event: 'done',
      data: expect.objectContaining({
        model: 'fast',
        deployment: 'fast/fast-model',
        attempts: [expect.objectContaining({ deployment: 'fast/fast-model', outcome: 'success' })],
        usage: expect.objectContaining({ completion_tokens: expect.any(Number) }),
      }),
    });
    expect(mocks.fast!.requests).toHaveLength(1);
    expect(mocks.fast!.requests[0]).toMatchObject({ model: 'fast-model', stream: true, aborted: false });
  });

  it('aborts the upstream stream when the SSE client disconnects', async () => {
    const controller = new AbortController();
    const response = await fetch(`${running.url}/ai/slow`, { signal: controller.signal });
    const text = await readUntil(response.body!, (t) => t.includes('"content":"one'));
    expect(text).toContain('data: ');
    controller.abort();
    const aborted = await mockWaitForAbort(mocks.slow!);
    expect(aborted).toMatchObject({ model: 'slow-model', stream: true, aborted: true });
    expect(mocks.slow!.requests).toHaveLength(1);
  });

  it('sends an error event in the one error shape when no deployment can start the stream', async () => {
    const response = await fetch(`${running.url}/ai/down`);
    const events = parseSse(await response.text());
    expect(events).toEqual([
      {
        event: 'error',
        data: {
          error: {
            message: 'All attempts for "down" failed (down/down-model: server_error 503)',
            type: 'api_error',
            param: null,
            code: 'all_attempts_failed',
          },
        },
      },
    ]);
  });

  it('ends a stream cut midway with an error event and no done', async () => {
    const events = parseSse(await (await fetch(`${running.url}/ai/cut`)).text());
    expect(events.length).toBeGreaterThan(1);
    expect(events.some((e) => e.event === 'done')).toBe(false);
    expect(events.at(-1)).toEqual({
      event: 'error',
      data: { error: expect.objectContaining({ code: 'stream_interrupted', type: 'api_error' }) },
    });
  });

  it('aborts the upstream call of an awaited chat() when the HTTP client disconnects', async () => {
    const controller = new AbortController();
    const pending = fetch(`${running.url}/ai/hang`, { signal: controller.signal }).catch((e: Error) => e);
    await mocks.hang!.waitForRequests(1);
    controller.abort();
    expect(await pending).toMatchObject({ name: 'AbortError' });
    const aborted = await mockWaitForAbort(mocks.hang!);
    expect(aborted).toMatchObject({ model: 'hang-model', aborted: true });
    await waitFor(() => handlerErrors.length > 0);
    expect(handlerErrors[0]).toBeInstanceOf(AbortError);
  });

  it('streams a ChatStream with its report from chatStream()', async () => {
    const response = await fetch(`${running.url}/ai/text?q=hi`);
    const body = (await response.json()) as { text: string; report: { deployment: string } };
    expect(body.text).toBe('Hello from fast');
    expect(body.report.deployment).toBe('fast/fast-model');
  });

  describe('chatSse()', () => {
    it('sends the report in event: done without provider messages or the call metadata', async () => {
      mocks.fast!.script(fault.ok({ content: 'hi' }));
      const events = await firstValueFrom(
        service.chatSse(hello, {}, { model: 'fast', metadata: { user: 'u-42' } }).pipe(toArray()),
      );
      const done = events.at(-1)!;
      expect(done.type).toBe('done');
      const report = JSON.parse(done.data as string) as RequestReport;
      expect(report).toMatchObject({ deployment: 'fast/fast-model', attempts: [{ outcome: 'success' }] });
      expect(report.metadata).toBeUndefined();
      expect(JSON.parse(events[0]!.data as string)).toMatchObject({ object: 'chat.completion.chunk' });
    });

    it('takes the chunk, end and error events of the core options', async () => {
      const sse = {
        chunk: (c: ChatCompletionChunk) =>
          c.choices[0]?.delta.content ? { text: c.choices[0].delta.content } : undefined,
        end: (r: RequestReport) => ({ event: 'finished', data: { by: r.deployment } }),
        error: () => ({ oops: true }),
      };
      const events = await firstValueFrom(service.chatSse(hello, sse, { model: 'fast' }).pipe(toArray()));
      expect(
        events
          .slice(0, -1)
          .map((e) => JSON.parse(e.data as string).text)
          .join(''),
      ).toBe('Hello from fast');
      expect(events.at(-1)).toEqual({ type: 'finished', data: '{"by":"fast/fast-model"}' });
      const failed = await firstValueFrom(service.chatSse(hello, sse, { model: 'down' }).pipe(toArray()));
      expect(failed).toEqual([{ type: 'error', data: '{"oops":true}' }]);
    });

    it('aborts the upstream call when unsubscribed', async () => {
      const events = await firstValueFrom(
        service.chatSse(hello, {}, { model: 'slow' }).pipe(take(2), toArray()),
      );
      expect(events).toHaveLength(2);
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ aborted: true });
    });
  });

  describe('chatEvents()', () => {
    it('gives the chunks, then an end event with the report', async () => {
      const events = await firstValueFrom(service.chatEvents(hello, { model: 'fast' }).pipe(toArray()));
      const end = events.at(-1)!;
      expect(end).toEqual({
        type: 'end',
        report: expect.objectContaining({ deployment: 'fast/fast-model' }),
      });
      const text = events
        .slice(0, -1)
        .map((e) => (e.type === 'chunk' ? (e.chunk.choices[0]?.delta.content ?? '') : '!'))
        .join('');
      expect(text).toBe('Hello from fast');
      expect((end as { report: RequestReport }).report.usage?.completion_tokens).toBeGreaterThan(0);
    });

    it('errors with a typed error carrying the report, also when the stream is cut midway', async () => {
      const seen: ChatStreamEvent[] = [];
      const error = await new Promise<unknown>((resolve) =>
        service.chatEvents(hello, { model: 'cut' }).subscribe({ next: (e) => seen.push(e), error: resolve }),
      );
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((e) => e.type === 'chunk')).toBe(true);
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as AiFailoverError).report).toMatchObject({
        deployment: 'cut/cut-model',
        attempts: [{ deployment: 'cut/cut-model', outcome: 'success' }],
      });

      const failed = await firstValueFrom(service.chatEvents(hello, { model: 'down' })).catch((e) => e);
      expect(failed).toMatchObject({
        code: 'AI_ALL_ATTEMPTS_FAILED',
        status: 503,
        report: { model: 'down', attempts: [{ deployment: 'down/down-model', outcome: 'server_error' }] },
      });
    });

    it('is cold: nothing is requested until subscribed, each subscription is a call', async () => {
      const chunks$ = service.chatEvents(hello, { model: 'fast' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(mocks.fast!.requests).toHaveLength(0);
      const first = await firstValueFrom(chunks$.pipe(toArray()));
      const second = await firstValueFrom(chunks$.pipe(toArray()));
      expect(first.length).toBeGreaterThan(2);
      expect(second).toHaveLength(first.length);
      expect(mocks.fast!.requests).toHaveLength(2);
    });

    it('aborts the upstream call when unsubscribed', async () => {
      const chunks = await firstValueFrom(
        service.chatEvents(hello, { model: 'slow' }).pipe(take(2), toArray()),
      );
      expect(chunks).toHaveLength(2);
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ aborted: true });
    });

    it('aborts the upstream call when the explicit signal fires', async () => {
      const controller = new AbortController();
      const errors: unknown[] = [];
      service.chatEvents(hello, { model: 'slow', signal: controller.signal }).subscribe({
        next: () => controller.abort(),
        error: (error) => errors.push(error),
      });
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ aborted: true });
      await waitFor(() => errors.length > 0);
      expect(errors[0]).toBeInstanceOf(AbortError);
    });

    it('keeps the context of the call, not of the subscription', async () => {
      const signal = new AbortController();
      const chunks$ = runInAiFailoverContext({ model: 'slow', signal: signal.signal }, () =>
        service.chatEvents(hello),
      );
      expect(getAiFailoverContext()).toBeUndefined();
      const errors: unknown[] = [];
      chunks$.subscribe({ next: () => signal.abort(), error: (error) => errors.push(error) });
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ model: 'slow-model', aborted: true });
      await waitFor(() => errors.length > 0);
      expect((errors[0] as AiFailoverError).code).toBe('AI_ABORTED');
    });

    it('errors with the typed error when every deployment fails', async () => {
      await expect(firstValueFrom(service.chatEvents(hello, { model: 'down' }))).rejects.toMatchObject({
        code: 'AI_ALL_ATTEMPTS_FAILED',
        status: 503,
      });
    });
  });
});

function mockWaitForAbort(mock: MockProvider) {
  return mock.waitForAbort(3000);
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
