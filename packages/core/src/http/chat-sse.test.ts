import type { ServerResponse } from 'node:http';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { parseSse } from '@ai-failover/testing/support';
import type { ChatCompletionChunk, ChatStream, RequestReport } from '..';
import { type Harness, harness, hello } from '../__tests__/support';
import type { ChatSseOptions } from './chat-sse';
import { formatSseEvent } from './chat-sse';

let h: Harness | undefined;
let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  await h?.close();
  server = undefined;
  h = undefined;
});

interface Served {
  base: string;
  /** What `pipeSse` resolved with, once it has. */
  report: Promise<RequestReport>;
  /** The response the stream was written to. */
  response: Promise<ServerResponse>;
}

/** A server whose every request streams one chat completion of `h` with `pipeSse(res, options)`. */
async function serve(
  options?: ChatSseOptions<RequestReport>,
  before?: (res: ServerResponse, stream: ChatStream<RequestReport>) => void,
): Promise<Served> {
  let settle!: (report: Promise<RequestReport>) => void;
  let started!: (res: ServerResponse) => void;
  const report = new Promise<RequestReport>((resolve) => {
    settle = resolve;
  });
  const response = new Promise<ServerResponse>((resolve) => {
    started = resolve;
  });
  server = await listen((_req, res) => {
    started(res);
    settle(
      h!.client.chatStream(hello).then((stream) => {
        before?.(res, stream);
        return stream.pipeSse(res, options);
      }),
    );
  });
  return { base: server.base, report, response };
}

describe('ChatStream.pipeSse', () => {
  test('sends every chunk as a data event, then [DONE], and resolves with the report', async () => {
    h = await harness(['a']);
    const served = await serve();
    const res = await fetch(served.base);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const events = parseSse(await res.text());
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    const chunks = events.slice(0, -1).map((e) => e.data as ChatCompletionChunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from a');
    const report = await served.report;
    expect(report).toMatchObject({ deployment: 'a/a-model', usage: { completion_tokens: 3 } });
  });

  test('a stream cut after content ends with an OpenAI error event and no [DONE], scrubbed', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.resetMidStream(2));
    const served = await serve();
    const events = parseSse(await (await fetch(served.base)).text());
    expect(events.map((e) => e.data)).not.toContain('[DONE]');
    const last = events.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data).toEqual({
      error: {
        type: 'api_error',
        code: 'stream_interrupted',
        param: null,
        message: expect.stringContaining('a/a-model'),
      },
    });
    const message = (last.data as { error: { message: string } }).error.message;
    expect(message).not.toContain('127.0.0.1');
    expect(message).not.toContain('key-a');
    expect(h.mocks[1]!.requests).toHaveLength(0);
    expect((await served.report).attempts).toHaveLength(1);
  });

  test('a response that closes while the upstream is silent aborts the upstream call, leaving no listener', async () => {
    h = await harness(['a']);
    h.mocks[0]!.setDefault(fault.stall({ afterChunks: 2 })); // the role chunk and "Hello", then silence
    const listeners = (res: ServerResponse) => ['close', 'drain', 'finish'].map((e) => res.listenerCount(e));
    let before: number[] = [];
    const served = await serve(undefined, (res) => {
      before = listeners(res);
    });
    const errors: Error[] = [];
    h.client.on('requestError', (event) => errors.push(event.error));
    const controller = new AbortController();
    const res = await fetch(served.base, { signal: controller.signal });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toMatch(/^data: /);
    controller.abort();
    const aborted = await h.mocks[0]!.waitForAbort(2000);
    expect(aborted.stream).toBe(true);
    await served.report;
    expect(errors.map((e) => e.name)).toEqual(['AbortError']);
    expect(listeners(await served.response)).toEqual(before);
  });

  test('waits for a slow reader instead of buffering the whole answer', async () => {
    const word = `${'x'.repeat(200)} `;
    h = await harness(['a'], { mock: { content: word.repeat(20_000) } });
    let maxBuffered = 0;
    let highWaterMark = 0;
    const served = await serve(undefined, (res) => {
      highWaterMark = res.writableHighWaterMark;
      const write = res.write.bind(res) as (chunk: string) => boolean;
      res.write = ((chunk: string) => {
        const ok = write(chunk);
        maxBuffered = Math.max(maxBuffered, res.writableLength);
        return ok;
      }) as typeof res.write;
    });
    const res = await fetch(served.base);
    await new Promise((resolve) => setTimeout(resolve, 300));
    let bytes = 0;
    for await (const chunk of res.body!) bytes += (chunk as Uint8Array).length;
    await served.report;
    expect(bytes).toBeGreaterThan(20_000 * word.length);
    // One event past the high-water mark at most: the writer waits for 'drain' after a full write.
    expect(maxBuffered).toBeLessThanOrEqual(highWaterMark + 1024);
  });

  test('keeps the headers already set on the response', async () => {
    h = await harness(['a']);
    const served = await serve(undefined, (res) => {
      res.setHeader('x-request-id', 'req-1');
    });
    const res = await fetch(served.base);
    expect(res.headers.get('x-request-id')).toBe('req-1');
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await res.text();
  });

  test('options change what the chunk, end and error events carry', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    const options: ChatSseOptions<RequestReport> = {
      chunk: (chunk) => {
        const delta = chunk.choices[0]?.delta.content;
        return delta ? { delta } : undefined;
      },
      end: (report) => ({ event: 'done', data: { deployment: report.deployment } }),
      error: (error) => ({ failed: (error as Error).name }),
    };
    const served = await serve(options);
    expect(parseSse(await (await fetch(served.base)).text())).toEqual([
      { data: { delta: 'Hello' } },
      { data: { delta: ' from' } },
      { data: { delta: ' a' } },
      { event: 'done', data: { deployment: 'a/a-model' } },
    ]);
    await server!.close();

    h.mocks[0]!.setDefault(fault.resetMidStream(2));
    const cut = await serve(options);
    expect(parseSse(await (await fetch(cut.base)).text())).toEqual([
      { data: { delta: 'Hello' } },
      { event: 'error', data: { failed: 'StreamInterruptedError' } },
    ]);
  });
});

describe('ChatStream.toSseEvents', () => {
  test('gives the events to write, ending with [DONE]', async () => {
    h = await harness(['a']);
    const stream = await h.client.chatStream(hello);
    const events = [];
    for await (const event of stream.toSseEvents()) events.push(event);
    expect(events.at(-1)).toEqual({ data: '[DONE]' });
    expect(events.slice(0, -1).every((e) => e.event === undefined && e.data.startsWith('{'))).toBe(true);
  });

  test('stopping early aborts the upstream call', async () => {
    h = await harness(['a'], { mock: { chunkDelayMs: 50, content: 'one two three four five six seven' } });
    const errors: Error[] = [];
    h.client.on('requestError', (event) => errors.push(event.error));
    const stream = await h.client.chatStream(hello);
    for await (const event of stream.toSseEvents()) {
      expect(event.data).toMatch(/^\{/);
      break;
    }
    await h.mocks[0]!.waitForAbort(2000);
    await stream.done;
    expect(errors.map((e) => e.name)).toEqual(['AbortError']);
  });
});

describe('formatSseEvent', () => {
  test('one data line per line of data, and an event name without line breaks', () => {
    expect(formatSseEvent({ data: '{"a":1}' })).toBe('data: {"a":1}\n\n');
    expect(formatSseEvent({ event: 'done', data: 'x' })).toBe('event: done\ndata: x\n\n');
    expect(formatSseEvent({ data: 'one\ntwo\r\nthree' })).toBe('data: one\ndata: two\ndata: three\n\n');
    expect(formatSseEvent({ event: 'a\r\nb', data: 'x' })).toBe('event: ab\ndata: x\n\n');
  });
});
