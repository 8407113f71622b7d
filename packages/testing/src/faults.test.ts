import { chatBody, delay, errorName, postJson, rawRequest, readSse } from './__tests__/client';
import { type ErrorJson, readJson } from './__tests__/shapes';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

describe('faults', () => {
  let mock: MockProvider;
  let url: string;

  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'flaky' });
    url = `${mock.baseUrl}/chat/completions`;
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  describe('HTTP errors', () => {
    it.each([
      [500, 'server_error', /server had an error/],
      [502, 'server_error', /Bad gateway/],
      [503, 'server_error', /overloaded/],
      [504, 'server_error', /Gateway timeout/],
      [529, 'overloaded_error', /Overloaded/],
    ])('status(%i) answers an OpenAI-shaped %s', async (status, type, message) => {
      mock.script(fault.status(status));
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/json');
      const body = await readJson<ErrorJson>(res);
      expect(body).toEqual({
        error: { message: expect.stringMatching(message), type, param: null, code: null },
      });
      expect(mock.requests[0]).toMatchObject({ fault: 'status', status });
    });

    it('status() takes a message, extra headers, or a whole body', async () => {
      mock.script(
        fault.status(503, { message: 'down for maintenance', headers: { 'x-extra': 'yes' } }),
        fault.status(502, { body: '<html>bad gateway</html>' }),
        fault.status(418, { body: { custom: true } }),
      );
      const first = await postJson(url, chatBody());
      expect(first.headers.get('x-extra')).toBe('yes');
      expect((await readJson<ErrorJson>(first)).error.message).toBe('down for maintenance');
      const second = await postJson(url, chatBody());
      expect(second.status).toBe(502);
      expect(await second.text()).toBe('<html>bad gateway</html>');
      const third = await postJson(url, chatBody());
      expect(third.status).toBe(418);
      expect(await readJson<unknown>(third)).toEqual({ custom: true });
    });

    it('rateLimited() sends 429 rate_limit_exceeded with Retry-After and retry-after-ms', async () => {
      mock.script(
        fault.rateLimited({ retryAfterSeconds: 7 }),
        fault.rateLimited({ retryAfterMs: 1500 }),
        fault.rateLimited({ retryAfterSeconds: 2, retryAfterMs: 1800 }),
        fault.rateLimited(),
      );
      const headers: [string | null, string | null][] = [];
      for (let i = 0; i < 4; i++) {
        const res = await postJson(url, chatBody());
        expect(res.status).toBe(429);
        expect((await readJson<ErrorJson>(res)).error).toMatchObject({
          type: 'requests',
          code: 'rate_limit_exceeded',
          param: null,
        });
        headers.push([res.headers.get('retry-after'), res.headers.get('retry-after-ms')]);
      }
      expect(headers).toEqual([
        ['7', null],
        [null, '1500'],
        ['2', '1800'],
        ['1', null],
      ]);
    });

    it('contextLength() sends 400 context_length_exceeded with an OpenAI-like message', async () => {
      mock.script(fault.contextLength({ maxTokens: 4096 }));
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(400);
      const { error } = await readJson<ErrorJson>(res);
      expect(error).toMatchObject({
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      });
      expect(error.message).toMatch(
        /^This model's maximum context length is 4096 tokens\. However, your messages resulted in \d+ tokens/,
      );
    });

    it('badRequest() sends 400 invalid_request_error', async () => {
      mock.script(fault.badRequest('temperature is too high'), fault.badRequest());
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(400);
      expect(await readJson<ErrorJson>(res)).toEqual({
        error: { message: 'temperature is too high', type: 'invalid_request_error', param: null, code: null },
      });
      expect((await readJson<ErrorJson>(await postJson(url, chatBody()))).error.type).toBe(
        'invalid_request_error',
      );
    });

    it('unauthorized() sends 401 invalid_api_key', async () => {
      mock.script(fault.unauthorized());
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(401);
      expect((await readJson<ErrorJson>(res)).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_api_key',
      });
    });
  });

  describe('timing', () => {
    it('applies latencyMs before the response', async () => {
      mock.script(fault.ok({ latencyMs: 120 }), fault.ok());
      let start = Date.now();
      expect((await postJson(url, chatBody())).status).toBe(200);
      const slow = Date.now() - start;
      start = Date.now();
      await postJson(url, chatBody());
      const fast = Date.now() - start;
      expect(slow).toBeGreaterThanOrEqual(115);
      expect(fast).toBeLessThan(100);
    });

    it('applies latency to error faults and takes ranges', async () => {
      mock.script(fault.status(503, { latencyMs: { min: 60, max: 80 } }));
      const start = Date.now();
      expect((await postJson(url, chatBody())).status).toBe(503);
      expect(Date.now() - start).toBeGreaterThanOrEqual(55);
    });

    it('applies the provider latencyMs unless the fault sets its own', async () => {
      const slow = await MockProvider.start({ latencyMs: 80 });
      try {
        let start = Date.now();
        await postJson(`${slow.baseUrl}/chat/completions`, chatBody());
        expect(Date.now() - start).toBeGreaterThanOrEqual(75);
        slow.script(fault.ok({ latencyMs: 0 }));
        start = Date.now();
        await postJson(`${slow.baseUrl}/chat/completions`, chatBody());
        expect(Date.now() - start).toBeLessThan(70);
      } finally {
        await slow.close();
      }
    });

    it('delays the headers by ttfbMs, then streams with chunkDelayMs', async () => {
      mock.script(fault.ok({ ttfbMs: 80, chunkDelayMs: 15 }));
      const start = Date.now();
      const res = await postJson(url, chatBody({ stream: true }));
      const headersAt = Date.now() - start;
      const { events, times } = await readSse(res);
      expect(headersAt).toBeGreaterThanOrEqual(75);
      expect(events).toHaveLength(6);
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(5 * 15 - 5);
    });
  });

  describe('connection faults', () => {
    it('hang() never answers; the client times out and the request is recorded as aborted', async () => {
      mock.script(fault.hang());
      const start = Date.now();
      await expect(postJson(url, chatBody(), { signal: AbortSignal.timeout(80) })).rejects.toMatchObject({
        name: 'TimeoutError',
      });
      expect(Date.now() - start).toBeGreaterThanOrEqual(75);
      const aborted = await mock.waitForAbort(1000);
      expect(aborted).toMatchObject({ fault: 'hang', aborted: true });
      expect(aborted.status).toBeUndefined();
      expect(aborted.endedAt).toBeGreaterThanOrEqual(aborted.receivedAt);
    });

    it('reset() closes the socket without a response', async () => {
      mock.script(fault.reset());
      const error = await postJson(url, chatBody()).catch((e: unknown) => e);
      expect(errorName(error)).toBe('TypeError');
      mock.script(fault.reset());
      const result = await rawRequest(url, { body: JSON.stringify(chatBody()) }).done;
      expect(result.status).toBeUndefined();
      expect(result.error).toMatchObject({ code: 'ECONNRESET' });
      expect(mock.requests.map((r) => [r.fault, r.status, r.aborted])).toEqual([
        ['reset', undefined, false],
        ['reset', undefined, false],
      ]);
    });

    it.each([1, 3])(
      'resetMidStream(%i) delivers exactly that many stream events, then an error',
      async (n) => {
        mock.script(fault.resetMidStream(n));
        const res = await postJson(url, chatBody({ stream: true }));
        expect(res.status).toBe(200);
        const { events, error } = await readSse(res);
        expect(events).toHaveLength(n);
        for (const event of events) expect(JSON.parse(event).object).toBe('chat.completion.chunk');
        expect(errorName(error)).toBe('TypeError');
        expect(mock.requests[0]).toMatchObject({ fault: 'resetMidStream', status: 200, aborted: false });
      },
    );

    it('resetMidStream() on a non-stream request sends part of the body, then an error', async () => {
      mock.script(fault.resetMidStream(1));
      const result = await rawRequest(url, { body: JSON.stringify(chatBody()) }).done;
      expect(result.status).toBe(200);
      expect(result.body.length).toBeGreaterThan(0);
      expect(result.body.length).toBeLessThan(Number(result.headers?.['content-length']));
      expect(result.error).toMatchObject({ message: 'aborted' });
    });

    it('stall() pauses between chunks, then finishes the stream', async () => {
      mock.script(fault.stall({ afterChunks: 2, ms: 150 }));
      const res = await postJson(url, chatBody({ stream: true }));
      const { events, times, error } = await readSse(res);
      expect(error).toBeUndefined();
      expect(events).toHaveLength(6);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(140);
      expect(times[1]! - times[0]!).toBeLessThan(100);
    });

    it('stall() on a non-stream request pauses mid-body, then completes it', async () => {
      mock.script(fault.stall({ afterChunks: 1, ms: 100 }));
      const start = Date.now();
      const result = await rawRequest(url, { body: JSON.stringify(chatBody()) }).done;
      expect(Date.now() - start).toBeGreaterThanOrEqual(95);
      expect(result.error).toBeUndefined();
      expect(JSON.parse(result.body).object).toBe('chat.completion');
    });

    it('stall({ afterChunks: 0 }) sends headers, then nothing until the client gives up', async () => {
      mock.script(fault.stall({ afterChunks: 0 }));
      const controller = new AbortController();
      const res = await postJson(url, chatBody({ stream: true }), { signal: controller.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await Promise.race([
        reader.read().then(
          () => 'chunk',
          () => 'error',
        ),
        new Promise((resolve) => setTimeout(resolve, 100, 'silence')),
      ]);
      expect(first).toBe('silence');
      controller.abort();
      expect(await mock.waitForAbort(1000)).toMatchObject({ fault: 'stall', status: 200, aborted: true });
    });

    it('malformedJson() sends a 200 JSON body that does not parse', async () => {
      mock.script(fault.malformedJson());
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(errorName(await res.json().catch((e: unknown) => e))).toBe('SyntaxError');
    });

    it('malformedJson() on a stream sends a data line that does not parse', async () => {
      mock.script(fault.malformedJson());
      const { events, error } = await readSse(await postJson(url, chatBody({ stream: true })));
      expect(error).toBeUndefined();
      const unparsable = events.filter((event) => {
        if (event === '[DONE]') return false;
        try {
          JSON.parse(event);
          return false;
        } catch {
          return true;
        }
      });
      expect(unparsable).toHaveLength(1);
    });

    it('truncated() declares a longer content-length than it sends, then ends the connection', async () => {
      mock.script(fault.truncated());
      const res = await postJson(url, chatBody());
      expect(res.status).toBe(200);
      const declared = Number(res.headers.get('content-length'));
      expect(declared).toBeGreaterThan(0);
      expect(errorName(await res.text().catch((e: unknown) => e))).toBe('TypeError');

      mock.script(fault.truncated());
      const raw = await rawRequest(url, { body: JSON.stringify(chatBody()) }).done;
      expect(raw.error).toMatchObject({ message: 'aborted' });
      expect(Buffer.byteLength(raw.body)).toBeLessThan(Number(raw.headers?.['content-length']));
    });

    it('streamError() sends some chunks, then an error object as a data event, and no [DONE]', async () => {
      mock.script(fault.streamError(2, { message: 'upstream broke', code: 'server_boom' }));
      const { events, error } = await readSse(await postJson(url, chatBody({ stream: true })));
      expect(error).toBeUndefined();
      expect(events).toHaveLength(3);
      expect(JSON.parse(events[1]!).choices[0].delta.content).toBe('Hello');
      expect(JSON.parse(events[2]!)).toEqual({
        error: { message: 'upstream broke', type: 'server_error', param: null, code: 'server_boom' },
      });
      expect(mock.requests[0]).toMatchObject({ fault: 'streamError', status: 200 });
    });
  });

  describe('floods', () => {
    /** Reads a raw response, keeping only its length and what it starts and ends with. */
    async function readAll(res: Response): Promise<{ bytes: number; head: string; tail: string }> {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let bytes = 0;
      let head = '';
      let tail = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.length;
        const text = decoder.decode(value, { stream: true });
        if (head.length < 200) head += text.slice(0, 200);
        tail = (tail + text).slice(-2100);
      }
      return { bytes, head, tail };
    }

    it('flood("line") sends one data line that never ends, `bytes` in all', async () => {
      mock.script(fault.flood('line', { bytes: 300_000 }));
      const res = await postJson(url, chatBody({ stream: true }));
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const { bytes, head, tail } = await readAll(res);
      expect(bytes).toBe(300_000);
      expect(head.startsWith('data: xxx')).toBe(true);
      expect((head + tail).includes('\n')).toBe(false);
    });

    it('flood("event") sends data lines without the blank line that ends an event', async () => {
      mock.script(fault.flood('event', { bytes: 200_000 }));
      const { bytes, head, tail } = await readAll(await postJson(url, chatBody({ stream: true })));
      expect(bytes).toBe(200_000);
      expect(head.startsWith('data: xxx')).toBe(true);
      expect(tail).toMatch(/\ndata: x+/);
      expect(tail.includes('\n\n')).toBe(false);
    });

    it('flood("emptyEvents") sends complete chunks that never carry content', async () => {
      mock.script(fault.flood('emptyEvents', { bytes: 150_000 }));
      const res = await postJson(url, chatBody({ stream: true }));
      const { events } = await readSse(res);
      expect(events.length).toBeGreaterThan(100);
      for (const event of events.slice(0, 50)) {
        expect(JSON.parse(event).choices[0]).toEqual({
          index: 0,
          delta: {},
          logprobs: null,
          finish_reason: null,
        });
      }
    });

    it('flood("json") sends a JSON body that never closes', async () => {
      mock.script(fault.flood('json', { bytes: 100_000 }));
      const res = await postJson(url, chatBody());
      expect(res.headers.get('content-type')).toBe('application/json');
      const { bytes, head, tail } = await readAll(res);
      expect(bytes).toBe(100_000);
      expect(head.startsWith('{"object":"chat.completion"')).toBe(true);
      expect(tail.endsWith('xxx')).toBe(true);
    });

    it('a flood stops when the client leaves', async () => {
      mock.script(fault.flood('line'));
      const controller = new AbortController();
      const res = await postJson(url, chatBody({ stream: true }), { signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      await delay(50);
      controller.abort();
      expect(await mock.waitForAbort(1000)).toMatchObject({ fault: 'flood', aborted: true });
    });
  });
});
