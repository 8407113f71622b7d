import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/koa';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, post, providers } from '@ai-failover/testing/support';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import Koa2 from 'koa2';

/** Every error body, from the routes and from the handler: OpenAI's shape, nothing else. */
async function openAiError(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

const chat = { model: 'gpt-4.1', ...hello };
/** A JSON body of about `bytes` bytes. */
const sized = (bytes: number) => ({ ...chat, padding: 'x'.repeat(bytes) });

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('%s: errors', (_name, KoaApp) => {
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

  const routes = (bodyLimit?: string) =>
    aiFailover(env.config(), {
      openai: { authorize: (ctx) => ctx.get('authorization') === `Bearer ${APP_TOKEN}`, bodyLimit },
    });

  function quiet(web: Koa): Koa {
    web.silent = true;
    return web;
  }

  test('mounted before the body parser, the routes read the body themselves, up to bodyLimit', async () => {
    const web = quiet(new KoaApp());
    web.use(routes('256kb'));
    web.use(bodyParser({ jsonLimit: '100kb' }));
    app = await listen(web.callback());
    const url = `${app.base}/v1/chat/completions`;

    expect((await post(url, sized(150 * 1024))).status).toBe(200);
    expect(await openAiError(await post(url, sized(300 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
    });
    expect(await openAiError(await post(url, '{"model": "gpt-4.1",'), 400)).toMatchObject({
      code: 'invalid_json',
    });
  });

  test('mounted after the body parser, its errors on the routes are OpenAI-shaped through aiFailoverErrorHandler', async () => {
    const web = quiet(new KoaApp());
    web.use(aiFailoverErrorHandler());
    web.use(bodyParser({ jsonLimit: '64kb' }));
    web.use(routes('16kb'));
    app = await listen(web.callback());
    const url = `${app.base}/v1/chat/completions`;

    const malformed = await openAiError(await post(url, '{"model": "gpt-4.1",'), 400);
    expect(malformed).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(malformed.message).toMatch(/^The request body is not valid JSON: /);
    expect(await openAiError(await post(url, sized(100 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
      message: 'The request body is larger than the limit of 65536 bytes',
    });
    expect(await openAiError(await post(url, sized(32 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
      message: 'The request body is larger than the limit of 16384 bytes',
    });
    expect((await post(url, chat)).status).toBe(200);
  });

  test("without a handler of ours, Koa's own onerror answers a typed error with its status and retry-after", async () => {
    for (const mock of env.mocks) mock.setDefault(fault.rateLimited({ retryAfterSeconds: 7 }));
    const web = quiet(new KoaApp());
    web.use(aiFailover(env.config({ maxRetryAfterMs: 0, deadlineMs: 2000 })));
    web.use(async (ctx) => {
      const { response } = await ctx.ai.chat(hello);
      ctx.body = response;
    });
    app = await listen(web.callback());
    const res = await fetch(`${app.base}/ask`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    // A server error's message is not exposed: Koa sends the status text.
    expect(await res.text()).toBe('Service Unavailable');
  });
});
