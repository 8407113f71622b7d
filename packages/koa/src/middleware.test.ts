import {
  AiClient,
  ClientClosedError,
  ConfigError,
  type DeploymentHealth,
  type HealthReport,
} from '@ai-failover/core';
import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/koa';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { hello, providers, sleep } from '@ai-failover/testing/support';
import Koa from 'koa';
import Koa2 from 'koa2';

type IsAny<T> = 0 extends 1 & T ? true : false;

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
] as const)('%s', (_name, KoaApp) => {
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

  /** `GET /ask` answers with the text of `ctx.ai.chat()`. */
  const ask: Koa.Middleware = async (ctx, next) => {
    if (ctx.path !== '/ask') return next();
    const { response } = await ctx.ai.chat(hello);
    ctx.body = { text: response.choices[0]?.message.content };
  };

  function quiet(web: Koa): Koa {
    web.silent = true;
    return web;
  }

  test('ctx.ai keeps answering while the primary fails, and /health shows the failover', async () => {
    const [a, b] = env.mocks;
    a!.setDefault(fault.status(503));
    const web = quiet(new KoaApp());
    web.use(
      aiFailover(env.config(), { health: { authorize: (ctx) => ctx.get('authorization') === 'Bearer ops' } }),
    );
    web.use(ask);
    app = await listen(web.callback());

    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.base}/ask`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ text: 'Hello from b' });
    }
    expect(b!.requests.length).toBe(3);

    const open = await fetch(`${app.base}/health`);
    expect(await open.json()).toEqual({ status: expect.stringMatching(/^(healthy|degraded)$/) });
    const health = await fetch(`${app.base}/health`, { headers: { authorization: 'Bearer ops' } });
    expect(health.headers.get('cache-control')).toBe('no-store');
    const report = (await health.json()) as HealthReport;
    const byId = (id: string) => report.deployments.find((d) => d.id === id) as DeploymentHealth;
    const primary = byId('a/gpt-4.1');
    expect(primary.consecutiveFailures > 0 || primary.status !== 'healthy').toBe(true);
    expect(byId('b/gpt-4.1')).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect(byId('b/gpt-4.1').samples).toBeGreaterThan(0);
  });

  test('ctx.ai is typed, built lazily, and aborted upstream when the HTTP client disconnects', async () => {
    const [a] = env.mocks;
    a!.setDefault(fault.hang());
    const web = quiet(new KoaApp());
    web.use(aiFailover(env.config()));
    web.use(async (ctx, next) => {
      if (ctx.path !== '/lazy') return next();
      ctx.body = { getter: typeof Object.getOwnPropertyDescriptor(ctx, 'ai')?.get === 'function' };
    });
    web.use(ask);
    app = await listen(web.callback());

    expect(await (await fetch(`${app.base}/lazy`)).json()).toEqual({ getter: true });
    const controller = new AbortController();
    const pending = fetch(`${app.base}/ask`, { signal: controller.signal }).catch((e: unknown) => e);
    await a!.waitForRequests(1);
    controller.abort();
    expect((await a!.waitForAbort()).aborted).toBe(true);
    await pending;

    const typed: IsAny<Koa.Context['ai']> = false;
    const parameterized: IsAny<Koa.ParameterizedContext<{ user: string }>['ai']> = false;
    expect([typed, parameterized]).toEqual([false, false]);
  });

  test('/health/ready is 503 when every deployment of a group is down, 200 after recovery', async () => {
    const [a, b] = env.mocks;
    a!.setDefault(fault.status(503));
    b!.setDefault(fault.status(503));
    const web = quiet(new KoaApp());
    web.use(aiFailover(env.config({ breaker: { volumeThreshold: 2, resetTimeoutMs: 300 } })));
    web.use(ask);
    app = await listen(web.callback());

    expect((await fetch(`${app.base}/health/ready`)).status).toBe(200);
    // Koa's own error handler answers with the status the typed error carries.
    for (let i = 0; i < 3; i++) expect((await fetch(`${app.base}/ask`)).status).toBe(503);
    const down = await fetch(`${app.base}/health/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ready: false });

    a!.setDefault(fault.ok());
    b!.setDefault(fault.ok());
    await sleep(350);
    expect((await fetch(`${app.base}/ask`)).status).toBe(200);
    expect((await fetch(`${app.base}/health/ready`)).status).toBe(200);
  });

  test('HEAD on the health routes', async () => {
    const web = quiet(new KoaApp());
    web.use(aiFailover(env.config()));
    app = await listen(web.callback());
    const head = await fetch(`${app.base}/health/live`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('cache-control')).toBe('no-store');
    expect(await head.text()).toBe('');
    expect((await fetch(`${app.base}/elsewhere`)).status).toBe(404);
  });

  test('aiFailoverErrorHandler answers typed errors as JSON with their status', async () => {
    env.mocks[0]!.setDefault(fault.status(503));
    env.mocks[1]!.setDefault(fault.reset());
    const web = quiet(new KoaApp());
    web.use(aiFailoverErrorHandler());
    web.use(aiFailover(env.config()));
    web.use(async (ctx, next) => {
      if (ctx.path !== '/bad') return next();
      await ctx.ai.chat({ messages: [] });
    });
    web.use(ask);
    app = await listen(web.callback());

    const failed = await fetch(`${app.base}/ask`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-ai-failover-trace')).toMatch(
      /^a\/gpt-4\.1;outcome=server_error;status=503;ms=\d+, /,
    );
    const text = await failed.text();
    expect(JSON.parse(text)).toEqual({
      error: {
        message: 'No AI provider could answer the request',
        type: 'api_error',
        param: null,
        code: 'all_attempts_failed',
      },
    });
    expect(text).not.toMatch(/127\.0\.0\.1|secret/);

    const bad = await fetch(`${app.base}/bad`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        message: 'messages: must not be empty',
        type: 'invalid_request_error',
        param: 'messages',
        code: 'invalid_request',
      },
    });
  });

  test('app.use(aiFailover) without the call fails with a clear TypeError', async () => {
    const web = quiet(new KoaApp());
    const seen: unknown[] = [];
    web.on('error', (error) => seen.push(error));
    web.silent = false;
    web.use(aiFailover as unknown as Koa.Middleware);
    app = await listen(web.callback());
    expect((await fetch(`${app.base}/`)).status).toBe(500);
    expect(seen[0]).toBeInstanceOf(TypeError);
    expect((seen[0] as Error).message).toMatch(/middleware factory.*app\.use\(aiFailover\(config\)\)/);
  });

  test('a bad option fails at creation with a ConfigError naming it', () => {
    const config = env.config();
    expect(() => aiFailover(config, { openai: { authorize: undefined as never } })).toThrow(ConfigError);
    expect(() => aiFailover(config, { openai: { authorize: undefined as never } })).toThrow(
      /koa\.openai\.authorize: must be a function/,
    );
    expect(() => aiFailover(config, { openai: { authorize: () => true, bodyLimit: -1 } })).toThrow(
      /koa\.openai\.bodyLimit/,
    );
    expect(() => aiFailoverErrorHandler({ traceHeader: 'a b' })).toThrow(
      /aiFailoverErrorHandler\.traceHeader/,
    );
  });

  test('closing the HTTP server closes a client the middleware created, not one passed in', async () => {
    const ai = aiFailover(env.config());
    const own = new AiClient(env.config());
    const web = quiet(new KoaApp());
    web.use(ai);
    web.use(aiFailover(own, { health: { path: '/own-health' } }));
    web.use(ask);
    app = await listen(web.callback());
    expect((await fetch(`${app.base}/ask`)).status).toBe(200);
    expect((await fetch(`${app.base}/own-health`)).status).toBe(200);

    await app.close();
    expect(ai.client.closed).toBe(true);
    await expect(ai.client.chat(hello)).rejects.toBeInstanceOf(ClientClosedError);
    expect(own.closed).toBe(false);
    await own.close();
  });
});

describe('shutting down with close({ drainMs })', () => {
  test('readiness turns 503 at once; a hung call ends with 503 client_closed after drainMs', async () => {
    const env = await providers(['a']);
    env.mocks[0]!.setDefault(fault.hang());
    const ai = aiFailover(env.config(), { openai: { authorize: () => true } });
    const web = new Koa();
    web.use(ai);
    const app = await listen(web.callback());
    try {
      const pending = fetch(`${app.base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4.1', ...hello }),
      });
      await env.mocks[0]!.waitForRequests(1);
      const closed = ai.close({ drainMs: 200 });
      expect((await fetch(`${app.base}/health/ready`)).status).toBe(503);
      const res = await pending;
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ error: { code: 'client_closed' } });
      await closed;
    } finally {
      await app.close();
      await env.close();
    }
  });
});
