import { aiFailover } from '@ai-failover/express';
import { type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, parseSse, post, providers } from '@ai-failover/testing/support';
import express from 'express';
import express4 from 'express4';

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s fastPath', (_name, createApp) => {
  let env: Awaited<ReturnType<typeof providers>>;
  let app: Listening | undefined;

  beforeEach(async () => {
    env = await providers(['a']);
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await env.close();
  });

  /** An app whose own middleware marks every response it sees, then the routes (mounted at `mount`). */
  async function start(mount = '/'): Promise<{ base: string; subjects: express.Request[] }> {
    const subjects: express.Request[] = [];
    const web = createApp();
    web.use((_req, res, next) => {
      res.setHeader('x-app-middleware', 'seen');
      next();
    });
    web.use(
      mount,
      aiFailover(env.config(), {
        fastPath: true,
        openai: {
          authorize: (req) => {
            subjects.push(req);
            return req.get('authorization') === `Bearer ${APP_TOKEN}`;
          },
        },
      }),
    );
    web.get('/other', (_req, res) => {
      res.json({ from: 'app' });
    });
    app = await listen(web);
    return { base: app.base, subjects };
  }

  test('after the first request, the routes are served before the app: its middleware no longer runs for them', async () => {
    const { base, subjects } = await start();
    const first = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-app-middleware')).toBe('seen');

    const fast = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(fast.status).toBe(200);
    expect(fast.headers.get('x-app-middleware')).toBeNull();
    expect(
      ((await fast.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content,
    ).toBe('Hello from a');
    // authorize got an Express request of this app on the fast path too.
    expect(subjects).toHaveLength(2);
    const subject = subjects[1]!;
    expect(subject.app).toBe(subjects[0]!.app);
    expect(subject.get('authorization')).toBe(`Bearer ${APP_TOKEN}`);
    expect(subject.ip).toMatch(/127\.0\.0\.1/);
    expect(subject.hostname).toBe('127.0.0.1');
    expect(subject.method).toBe('POST');
    expect(subject.path).toBe('/v1/chat/completions');

    const stream = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', stream: true, ...hello });
    expect(stream.headers.get('x-app-middleware')).toBeNull();
    const events = parseSse(await stream.text());
    expect(events.at(-1)?.data).toBe('[DONE]');

    const models = await fetch(`${base}/v1/models`, { headers: { authorization: `Bearer ${APP_TOKEN}` } });
    expect(models.status).toBe(200);
    expect(models.headers.get('x-app-middleware')).toBeNull();
  });

  test('authorize still decides on the fast path', async () => {
    const { base } = await start();
    await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    const refused = await post(
      `${base}/v1/chat/completions`,
      { model: 'gpt-4.1', ...hello },
      { authorization: 'Bearer nope' },
    );
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-app-middleware')).toBeNull();
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  test('other requests, health and unknown paths under the prefix still go through the app', async () => {
    const { base } = await start();
    await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    const other = await fetch(`${base}/other`);
    expect(await other.json()).toEqual({ from: 'app' });
    expect(other.headers.get('x-app-middleware')).toBe('seen');
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-app-middleware')).toBe('seen');
    const unknown = await post(`${base}/v1/nothing`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-app-middleware')).toBe('seen');
  });

  test('a middleware mounted under a path keeps its routes under that path on the fast path', async () => {
    const { base } = await start('/api');
    const first = await post(`${base}/api/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(first.status).toBe(200);
    const fast = await post(`${base}/api/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(fast.status).toBe(200);
    expect(fast.headers.get('x-app-middleware')).toBeNull();
    const outside = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(outside.status).toBe(404);
    expect(outside.headers.get('x-app-middleware')).toBe('seen');
  });
});
