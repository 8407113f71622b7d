import { aiFailover } from '@ai-failover/koa';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, post, providers } from '@ai-failover/testing/support';
import Koa from 'koa';
import Koa2 from 'koa2';
import OpenAI from 'openai';

const TRACE = /^a\/gpt-4\.1;outcome=server_error;status=503;ms=\d+, b\/gpt-4\.1;outcome=success;ms=\d+$/;

/** A stand-in for koa-bodyparser: reads a JSON body into `ctx.request.body`. */
const bodyParser: Koa.Middleware = async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.get('x-pre-parse')) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  }
  await next();
};

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('%s OpenAI-compatible routes', (_name, KoaApp) => {
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

  /** Replaces the default providers (`a`, `b`) with others. */
  async function useProviders(names: string[], chunkDelayMs?: number): Promise<void> {
    await env.close();
    env = await providers(names, { chunkDelayMs, content: 'one two three four five six' });
  }

  async function start() {
    const web = new KoaApp();
    web.silent = true;
    web.use(bodyParser);
    web.use(
      aiFailover(env.config(), {
        openai: { authorize: (ctx) => ctx.get('authorization') === `Bearer ${APP_TOKEN}`, bodyLimit: 2048 },
      }),
    );
    app = await listen(web.callback());
    return {
      base: app.base,
      openai: new OpenAI({ baseURL: `${app.base}/v1`, apiKey: APP_TOKEN, maxRetries: 0 }),
    };
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
    expect(response.headers.get('x-request-id')).toMatch(/^afo_/);

    const streamed = await openai.chat.completions
      .create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(streamed.response.headers.get('x-ai-failover-trace')).toMatch(TRACE);
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from b');
    expect((await openai.models.list()).data.map((m) => m.id)).toEqual(['gpt-4.1', 'embed']);
  });

  test('a body read by a body parser first is used', async () => {
    const { base } = await start();
    const res = await post(`${base}/v1/embeddings`, { model: 'embed', input: 'hi' }, { 'x-pre-parse': '1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ai-failover-deployment')).toBe('a/text-embedding-3-small');
  });

  test('a stream cut after content ends with an error event and no [DONE]', async () => {
    await useProviders(['solo']);
    env.mocks[0]!.setDefault(fault.resetMidStream(2));
    const { base } = await start();
    const res = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', stream: true, ...hello });
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).toContain('"content":"one"');
    expect(raw).not.toContain('[DONE]');
    expect(raw.split('\n\n').filter(Boolean).at(-1)).toMatch(
      /^event: error\ndata: \{"error":\{.*"type":"api_error".*"code":"stream_interrupted"\}\}$/,
    );
  });

  test('a client that disconnects mid-stream aborts the upstream call', async () => {
    await useProviders(['slow'], 40);
    const { base } = await start();
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}` },
      body: JSON.stringify({ model: 'gpt-4.1', stream: true, ...hello }),
      signal: controller.signal,
    });
    const first = await res.body!.getReader().read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^data: /);
    controller.abort();
    expect((await env.mocks[0]!.waitForAbort()).aborted).toBe(true);
  });

  test('refusals and bad requests get OpenAI-shaped errors', async () => {
    const { base } = await start();
    const url = `${base}/v1/chat/completions`;
    const errorOf = async (res: Response, status: number) => {
      expect(res.status).toBe(status);
      expect(res.headers.get('x-ai-failover-trace')).not.toBeNull();
      const body = (await res.json()) as { error: Record<string, unknown> };
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
      return body.error;
    };
    expect(await errorOf(await post(url, hello, { authorization: 'Bearer nope' }), 401)).toMatchObject({
      type: 'authentication_error',
    });
    expect(await errorOf(await post(url, '{oops'), 400)).toMatchObject({ code: 'invalid_json' });
    expect(await errorOf(await post(url, { model: 'gpt-4.1' }), 400)).toMatchObject({
      param: 'messages',
      message: expect.stringMatching(/^messages: /),
    });
    expect(await errorOf(await post(url, { model: 'nope', ...hello }), 404)).toMatchObject({
      code: 'model_not_found',
    });
    const big = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'x'.repeat(4096) }] };
    expect(await errorOf(await post(url, big), 413)).toMatchObject({ code: 'request_too_large' });
    expect((await post(url, { model: 'gpt-4.1', ...hello })).status).toBe(200);
  });
});
