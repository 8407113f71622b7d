import type { ChatCompletion } from '@ai-failover/core';
import { aiFailover } from '@ai-failover/express';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, post, providers, sleep } from '@ai-failover/testing/support';
import express from 'express';
import express4 from 'express4';
import OpenAI, { APIError } from 'openai';

const TRACE = /^a\/gpt-4\.1;outcome=server_error;status=503;ms=\d+, b\/gpt-4\.1;outcome=success;ms=\d+$/;

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s OpenAI-compatible routes', (_name, createApp) => {
  let env: Awaited<ReturnType<typeof providers>>;
  let app: Listening | undefined;

  beforeEach(async () => {
    env = await providers();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await env.close();
  });

  async function start(
    options: { bodyLimit?: string; preParse?: boolean; authorize?: (req: express.Request) => boolean } = {},
  ): Promise<{ base: string; openai: OpenAI }> {
    const web = createApp();
    if (options.preParse) web.use(express.json());
    web.use(
      aiFailover(env.config(), {
        openai: {
          authorize: options.authorize ?? ((req) => req.headers.authorization === `Bearer ${APP_TOKEN}`),
          bodyLimit: options.bodyLimit,
        },
      }),
    );
    app = await listen(web);
    const openai = new OpenAI({ baseURL: `${app.base}/v1`, apiKey: APP_TOKEN, maxRetries: 0 });
    return { base: app.base, openai };
  }

  test('the official client gets a completion and a stream through a failing primary', async () => {
    env.mocks[0]!.setDefault(fault.status(503));
    const { openai } = await start();

    const { data, response } = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from b');
    expect(response.headers.get('x-ai-failover-trace')).toMatch(TRACE);
    expect(response.headers.get('x-ai-failover-deployment')).toBe('b/gpt-4.1');
    const CORE_ID = /^afo_(?!http_)/; // the id of the client's report, not a generated one
    expect(response.headers.get('x-request-id')).toMatch(CORE_ID);

    const streamed = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(streamed.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(streamed.response.headers.get('x-ai-failover-trace')).toMatch(TRACE);
    expect(streamed.response.headers.get('x-ai-failover-deployment')).toBe('b/gpt-4.1');
    expect(streamed.response.headers.get('x-request-id')).toMatch(CORE_ID);
    expect(streamed.response.headers.get('x-request-id')).not.toBe(response.headers.get('x-request-id'));
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from b');
  });

  test('embeddings and models', async () => {
    const { openai, base } = await start();
    const { data, response } = await openai.embeddings
      .create({ model: 'embed', input: 'hello' })
      .withResponse();
    expect(data.data[0]?.embedding).toHaveLength(8);
    expect(response.headers.get('x-ai-failover-deployment')).toBe('a/text-embedding-3-small');

    const models = [];
    for await (const model of openai.models.list()) models.push(model.id);
    expect(models).toEqual(['gpt-4.1', 'embed']);
    expect(await openai.models.retrieve('embed')).toMatchObject({ id: 'embed', object: 'model' });
    const missing = await fetch(`${base}/v1/models/nope`, {
      headers: { authorization: `Bearer ${APP_TOKEN}` },
    });
    expect(missing.status).toBe(404);
  });

  test('the raw SSE stream: one data event per chunk, then [DONE]', async () => {
    const { base } = await start();
    const res = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', stream: true, ...hello });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello from a');
  });

  test('a stream cut after content ends with an error event and no [DONE]', async () => {
    const single = await providers(['solo']);
    try {
      single.mocks[0]!.setDefault(fault.resetMidStream(2));
      const web = createApp();
      web.use(aiFailover(single.config(), { openai: { authorize: () => true } }));
      app = await listen(web);
      const res = await post(`${app.base}/v1/chat/completions`, { model: 'gpt-4.1', stream: true, ...hello });
      expect(res.status).toBe(200);
      const raw = await res.text();
      expect(raw).toContain('"content":"Hello"');
      expect(raw).not.toContain('[DONE]');
      const last = raw.split('\n\n').filter(Boolean).at(-1)!;
      expect(last).toMatch(/^event: error\ndata: /);
      const body = JSON.parse(last.split('\n')[1]!.slice('data: '.length));
      expect(body.error).toMatchObject({ type: 'api_error', code: 'stream_interrupted' });
      expect(raw).not.toMatch(/127\.0\.0\.1|secret/);

      const openai = new OpenAI({ baseURL: `${app.base}/v1`, apiKey: APP_TOKEN, maxRetries: 0 });
      const stream = await openai.chat.completions.create({ model: 'gpt-4.1', stream: true, ...hello });
      const error = await (async () => {
        for await (const _chunk of stream) {
          // read until the error
        }
      })().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIError);
    } finally {
      await single.close();
    }
  });

  test('a client that disconnects mid-stream aborts the upstream call', async () => {
    const slow = await providers(['slow'], {
      chunkDelayMs: 40,
      content: 'one two three four five six seven eight nine ten',
    });
    try {
      const web = createApp();
      const counts: Array<{ before: number[]; after?: number[] }> = [];
      const listeners = (res: express.Response) =>
        ['close', 'drain', 'finish', 'error'].map((e) => res.listenerCount(e));
      web.use((_req, res, next) => {
        const entry: { before: number[]; after?: number[] } = { before: listeners(res) };
        counts.push(entry);
        res.once('close', () => setImmediate(() => (entry.after = listeners(res))));
        next();
      });
      web.use(aiFailover(slow.config(), { openai: { authorize: () => true } }));
      app = await listen(web);
      const controller = new AbortController();
      const res = await fetch(`${app.base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1', stream: true, ...hello }),
        signal: controller.signal,
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
      controller.abort();
      const aborted = await slow.mocks[0]!.waitForAbort();
      expect(aborted.stream).toBe(true);
      expect(aborted.aborted).toBe(true);
      await sleep(20);
      expect(counts).toHaveLength(1);
      expect(counts[0]!.after).toEqual(counts[0]!.before);
    } finally {
      await slow.close();
    }
  });

  test('refusals and bad requests get OpenAI-shaped errors', async () => {
    const { base, openai } = await start({ bodyLimit: '1kb' });
    const url = `${base}/v1/chat/completions`;
    const expectError = async (res: Response, status: number, error: Record<string, unknown>) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('x-ai-failover-trace')).not.toBeNull();
      expect(res.headers.get('x-request-id')).toMatch(/^afo_/);
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(body.error).toMatchObject(error);
      return body.error as { message: string };
    };

    await expectError(await post(url, hello, { authorization: 'Bearer wrong' }), 401, {
      type: 'authentication_error',
      code: 'unauthorized',
    });
    const bad = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(bad.models.list()).rejects.toMatchObject({ status: 401 });

    const json = await expectError(await post(url, '{"model": "gpt-4.1", "messages": ['), 400, {
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
    expect(json.message).toMatch(/not valid JSON/);

    const messages = await expectError(await post(url, { model: 'gpt-4.1' }), 400, {
      type: 'invalid_request_error',
      param: 'messages',
    });
    expect(messages.message).toMatch(/^messages: /);

    await expectError(await post(url, { model: 'gpt-5', ...hello }), 404, {
      type: 'invalid_request_error',
      code: 'model_not_found',
      param: 'model',
    });
    await expect(openai.chat.completions.create({ model: 'gpt-5', ...hello })).rejects.toMatchObject({
      status: 404,
      code: 'model_not_found',
    });

    const big = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x'.repeat(2000) }] };
    await expectError(await post(url, big), 413, { code: 'request_too_large' });
    const chunked = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}` },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    await expectError(chunked, 413, { code: 'request_too_large' });

    // the connection is still usable afterwards
    expect((await post(url, { model: 'gpt-4.1', ...hello })).status).toBe(200);
  });

  test('authorize that throws answers 500 without its message; a pre-parsed body is used', async () => {
    const { base } = await start({
      preParse: true,
      authorize: (req) => {
        if (req.headers['x-explode']) throw new Error('db password is hunter2');
        return true;
      },
    });
    const url = `${base}/v1/chat/completions`;
    const exploded = await post(url, { model: 'gpt-4.1', ...hello }, { 'x-explode': '1' });
    expect(exploded.status).toBe(500);
    const text = await exploded.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text).error).toMatchObject({ type: 'api_error', code: 'internal_error' });

    const ok = await post(url, { model: 'gpt-4.1', ...hello });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as ChatCompletion).choices[0]?.message.content).toBe('Hello from a');
  });

  test('when every deployment fails: 503 in OpenAI shape with the trace, no key or upstream address', async () => {
    env.mocks[0]!.setDefault(fault.status(503));
    env.mocks[1]!.setDefault(fault.reset());
    const { base } = await start();
    const res = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(res.status).toBe(503);
    expect(res.headers.get('x-ai-failover-trace')).toMatch(
      /^a\/gpt-4\.1;outcome=server_error;status=503;ms=\d+, b\/gpt-4\.1;outcome=connection_error;ms=\d+$/,
    );
    expect(res.headers.get('x-request-id')).toMatch(/^afo_(?!http_)/);
    const text = await res.text();
    expect(JSON.parse(text).error).toMatchObject({ type: 'api_error', code: 'all_attempts_failed' });
    expect(text).not.toMatch(/127\.0\.0\.1|secret|localhost|http:/);
  });
});
