import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/express';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, post, providers } from '@ai-failover/testing/support';
import express, { type RequestHandler } from 'express';
import express4 from 'express4';
import OpenAI, { APIError } from 'openai';

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
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s: errors', (_name, createApp) => {
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
      openai: { authorize: (req) => req.headers.authorization === `Bearer ${APP_TOKEN}`, bodyLimit },
    });

  test('mounted before express.json(), the routes read the body themselves, up to bodyLimit', async () => {
    const web = createApp();
    web.use(routes('256kb'));
    web.use(express.json()); // its 100 kb limit is not the routes'
    web.use(aiFailoverErrorHandler());
    app = await listen(web);
    const url = `${app.base}/v1/chat/completions`;

    expect((await post(url, sized(150 * 1024))).status).toBe(200);
    expect(await openAiError(await post(url, sized(300 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
      message: 'The request body is larger than the limit of 262144 bytes',
    });
    expect(await openAiError(await post(url, '{"model": "gpt-4.1",'), 400)).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_json',
    });
  });

  test('mounted after express.json(), its errors on the routes are OpenAI-shaped through aiFailoverErrorHandler', async () => {
    const web = createApp();
    web.use(express.json({ limit: '64kb' }));
    web.use(routes('16kb'));
    web.use(aiFailoverErrorHandler());
    app = await listen(web);
    const url = `${app.base}/v1/chat/completions`;

    const malformed = await openAiError(await post(url, '{"model": "gpt-4.1",'), 400);
    expect(malformed).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
    expect(malformed.message).toMatch(/^The request body is not valid JSON: /);
    // Over the parser's limit: its 413, in OpenAI's shape.
    expect(await openAiError(await post(url, sized(100 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
      message: 'The request body is larger than the limit of 65536 bytes',
    });
    // Parsed, but over the routes' own limit.
    expect(await openAiError(await post(url, sized(32 * 1024)), 413)).toMatchObject({
      code: 'request_too_large',
      message: 'The request body is larger than the limit of 16384 bytes',
    });
    expect((await post(url, chat)).status).toBe(200);

    // The official client sees an APIError it can read, not an HTML page.
    const openai = new OpenAI({ baseURL: `${app.base}/v1`, apiKey: APP_TOKEN, maxRetries: 0 });
    const error = await openai.chat.completions
      .create({ ...chat, messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toMatchObject({ status: 413, code: 'request_too_large', type: 'invalid_request_error' });
  });

  test("without a handler of ours, Express's final handler answers a typed error with its status and retry-after", async () => {
    for (const mock of env.mocks) mock.setDefault(fault.rateLimited({ retryAfterSeconds: 7 }));
    const web = createApp();
    web.use(aiFailover(env.config({ maxRetryAfterMs: 0, deadlineMs: 2000 })));
    const ask: RequestHandler = async (req, res, next) => {
      try {
        const { response } = await req.ai.chat(hello);
        res.json(response);
      } catch (error) {
        next(error);
      }
    };
    web.get('/ask', ask);
    app = await listen(web);
    const res = await fetch(`${app.base}/ask`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
