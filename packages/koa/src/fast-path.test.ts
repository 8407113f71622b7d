import { aiFailover } from '@ai-failover/koa';
import { type Listening, listen } from '@ai-failover/testing';
import { APP_TOKEN, hello, parseSse, post, providers } from '@ai-failover/testing/support';
import Koa from 'koa';
import Koa2 from 'koa2';

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('%s fastPath', (_name, KoaApp) => {
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

  test('after the first request, the routes are served before the app, with a context for authorize', async () => {
    const subjects: Koa.Context[] = [];
    const web = new KoaApp();
    web.use(async (ctx, next) => {
      ctx.set('x-app-middleware', 'seen');
      ctx.state.user = 'set by the app';
      await next();
    });
    web.use(
      aiFailover(env.config(), {
        fastPath: true,
        openai: {
          authorize: (ctx) => {
            subjects.push(ctx as unknown as Koa.Context);
            return ctx.get('authorization') === `Bearer ${APP_TOKEN}`;
          },
        },
      }),
    );
    web.use((ctx) => {
      ctx.body = { from: 'app' };
    });
    app = await listen(web.callback());
    const { base } = app;

    const first = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-app-middleware')).toBe('seen');

    const fast = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', ...hello });
    expect(fast.status).toBe(200);
    expect(fast.headers.get('x-app-middleware')).toBeNull();
    expect(subjects).toHaveLength(2);
    expect(subjects[0]?.state.user).toBe('set by the app');
    // A fresh context: Koa's own methods, nothing the app's middleware set.
    expect(typeof subjects[1]?.get).toBe('function');
    expect(subjects[1]?.state.user).toBeUndefined();

    const stream = await post(`${base}/v1/chat/completions`, { model: 'gpt-4.1', stream: true, ...hello });
    expect(stream.headers.get('x-app-middleware')).toBeNull();
    expect(parseSse(await stream.text()).at(-1)?.data).toBe('[DONE]');

    const refused = await post(
      `${base}/v1/chat/completions`,
      { model: 'gpt-4.1', ...hello },
      { authorization: 'Bearer nope' },
    );
    expect(refused.status).toBe(401);

    const other = await fetch(`${base}/other`);
    expect(await other.json()).toEqual({ from: 'app' });
    expect(other.headers.get('x-app-middleware')).toBe('seen');
  });
});
