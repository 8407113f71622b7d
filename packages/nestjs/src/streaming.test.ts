import 'reflect-metadata';
import { AbortError, type AiFailoverError, type ChatCompletionChunk } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get, type MessageEvent, Query, Sse } from '@nestjs/common';
import { concat, firstValueFrom, type Observable, of, take, throwError, toArray } from 'rxjs';
import {
  AiFailoverModule,
  AiFailoverService,
  getAiFailoverContext,
  runInAiFailoverContext,
  toSse,
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
    return this.ai.chatStream(hello).pipe(toSse());
  }

  @UseModel('slow')
  @Sse('slow')
  slow(): Observable<MessageEvent> {
    return this.ai.chatStream(hello).pipe(toSse());
  }

  @UseModel('down')
  @Sse('down')
  down(): Observable<MessageEvent> {
    return this.ai.chatStream(hello).pipe(toSse());
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
    const stream = await this.ai.chatStreamIterable({ messages: [{ role: 'user', content: q }] });
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
    mocks = await startMocks(['fast', 'slow', 'down', 'hang']);
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
    handlerErrors.length = 0;
  });

  it('streams the chunks of an @Sse() route from the handler model, ending with [DONE]', async () => {
    const response = await fetch(`${running.url}/ai/stream`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = parseSse(await response.text());
    const chunks = events.slice(0, -1).map((e) => e.data as ChatCompletionChunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from fast');
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
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

  it('sends an error event when no deployment can start the stream', async () => {
    const response = await fetch(`${running.url}/ai/down`);
    const events = parseSse(await response.text());
    expect(events).toEqual([
      {
        event: 'error',
        data: {
          statusCode: 503,
          code: 'AI_ALL_ATTEMPTS_FAILED',
          message: 'No AI provider could answer the request',
        },
      },
    ]);
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

  it('streams a ChatStream with its report from chatStreamIterable()', async () => {
    const response = await fetch(`${running.url}/ai/text?q=hi`);
    const body = (await response.json()) as { text: string; report: { deployment: string } };
    expect(body.text).toBe('Hello from fast');
    expect(body.report.deployment).toBe('fast/fast-model');
  });

  describe('toSse()', () => {
    const chunk: ChatCompletionChunk = {
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 0,
      model: 'm',
      choices: [],
    };

    it('maps chunks to events and ends with [DONE], or nothing with done: false', async () => {
      expect(await firstValueFrom(of<ChatCompletionChunk>(chunk).pipe(toSse(), toArray()))).toEqual([
        { data: chunk },
        { data: '[DONE]' },
      ]);
      expect(
        await firstValueFrom(of<ChatCompletionChunk>(chunk).pipe(toSse({ done: false }), toArray())),
      ).toEqual([{ data: chunk }]);
    });

    it('turns an ai-failover error into an error event, and rethrows other errors', async () => {
      const failing = concat(
        of<ChatCompletionChunk>(chunk),
        throwError(() => new AbortError()),
      );
      expect(await firstValueFrom(failing.pipe(toSse(), toArray()))).toEqual([
        { data: chunk },
        {
          type: 'error',
          data: { statusCode: 499, code: 'AI_ABORTED', message: 'The request was aborted by the caller' },
        },
      ]);
      await expect(
        firstValueFrom(failing.pipe(toSse({ errorEvent: false }), toArray())),
      ).rejects.toBeInstanceOf(AbortError);
      const other = throwError(() => new RangeError('boom')) as Observable<ChatCompletionChunk>;
      await expect(firstValueFrom(other.pipe(toSse()))).rejects.toBeInstanceOf(RangeError);
    });
  });

  describe('chatStream() Observable', () => {
    it('is cold: nothing is requested until subscribed, each subscription is a call', async () => {
      const chunks$ = service.chatStream(hello, { model: 'fast' });
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
        service.chatStream(hello, { model: 'slow' }).pipe(take(2), toArray()),
      );
      expect(chunks).toHaveLength(2);
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ aborted: true });
    });

    it('aborts the upstream call when the explicit signal fires', async () => {
      const controller = new AbortController();
      const errors: unknown[] = [];
      service.chatStream(hello, { model: 'slow', signal: controller.signal }).subscribe({
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
        service.chatStream(hello),
      );
      expect(getAiFailoverContext()).toBeUndefined();
      const errors: unknown[] = [];
      chunks$.subscribe({ next: () => signal.abort(), error: (error) => errors.push(error) });
      expect(await mockWaitForAbort(mocks.slow!)).toMatchObject({ model: 'slow-model', aborted: true });
      await waitFor(() => errors.length > 0);
      expect((errors[0] as AiFailoverError).code).toBe('AI_ABORTED');
    });

    it('errors with the typed error when every deployment fails', async () => {
      await expect(firstValueFrom(service.chatStream(hello, { model: 'down' }))).rejects.toMatchObject({
        code: 'AI_ALL_ATTEMPTS_FAILED',
        httpStatus: 503,
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
