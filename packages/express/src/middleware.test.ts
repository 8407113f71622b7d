import {
  AiClient,
  ClientClosedError,
  ConfigError,
  type DeploymentHealth,
  type HealthReport,
} from '@ai-failover/core';
import { aiFailover, aiFailoverErrorHandler } from '@ai-failover/express';
import { fault, type Listening, listen } from '@ai-failover/testing';
import { hello, providers, sleep } from '@ai-failover/testing/support';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import express4 from 'express4';

type IsAny<T> = 0 extends 1 & T ? true : false;

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s', (_name, createApp) => {
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

  function askRoute(): RequestHandler {
    return async (req, res, next) => {
      try {
        const { response } = await req.ai.chat(hello);
        res.json({ text: response.choices[0]?.message.content });
      } catch (error) {
        next(error);
      }
    };
  }

  test('req.ai keeps answering while the primary fails, and /health shows the failover', async () => {
    const [a, b] = env.mocks;
    a!.setDefault(fault.status(503));
    const ai = aiFailover(env.config(), {
      health: { authorize: (req) => req.headers.authorization === 'Bearer ops-token' },
    });
    const web = createApp();
    web.use(ai);
    web.get('/ask', askRoute());
    app = await listen(web);

    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${app.base}/ask`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ text: 'Hello from b' });
    }
    expect(b!.requests.length).toBe(3);

    // Everyone gets the status only: no upstream URL, no upstream error.
    const open = await fetch(`${app.base}/health`);
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ status: expect.stringMatching(/^(healthy|degraded)$/) });

    const health = await fetch(`${app.base}/health`, { headers: { authorization: 'Bearer ops-token' } });
    expect(health.headers.get('cache-control')).toBe('no-store');
    const report = (await health.json()) as HealthReport;
    const byId = (id: string) => report.deployments.find((d) => d.id === id) as DeploymentHealth;
    const primary = byId('a/gpt-4.1');
    expect(primary.consecutiveFailures > 0 || primary.status !== 'healthy').toBe(true);
    expect(primary.lastError).toBeTruthy();
    expect(byId('b/gpt-4.1')).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
    expect(byId('b/gpt-4.1').samples).toBeGreaterThan(0);
    expect(JSON.stringify(report)).not.toMatch(/key-[ab]-secret/);
  });

  test('req.ai is typed, built lazily, and aborted upstream when the HTTP client disconnects', async () => {
    const [a] = env.mocks;
    a!.setDefault(fault.hang());
    const web = createApp();
    web.use(aiFailover(env.config()));
    web.get('/lazy', (req, res) => {
      const own = Object.getOwnPropertyDescriptor(req, 'ai');
      res.json({ getter: typeof own?.get === 'function' });
    });
    web.get('/ask', askRoute());
    app = await listen(web);

    expect(await (await fetch(`${app.base}/lazy`)).json()).toEqual({ getter: true });

    const controller = new AbortController();
    const pending = fetch(`${app.base}/ask`, { signal: controller.signal }).catch((e: unknown) => e);
    await a!.waitForRequests(1);
    controller.abort();
    const aborted = await a!.waitForAbort();
    expect(aborted.aborted).toBe(true);
    await pending;
    expect(env.mocks[1]!.requests).toHaveLength(0);

    const typed: IsAny<express.Request['ai']> = false;
    expect(typed).toBe(false);
  });

  test('/health/ready is 503 when every deployment of a group is down, 200 after recovery', async () => {
    const [a, b] = env.mocks;
    a!.setDefault(fault.status(503));
    b!.setDefault(fault.status(503));
    const web = createApp();
    web.use(aiFailover(env.config({ breaker: { volumeThreshold: 2, resetTimeoutMs: 300 } })));
    web.get('/ask', askRoute());
    app = await listen(web);

    expect((await fetch(`${app.base}/health/ready`)).status).toBe(200);
    // Express's own error handler answers with the status the typed error carries.
    for (let i = 0; i < 3; i++) expect((await fetch(`${app.base}/ask`)).status).toBe(503);

    const down = await fetch(`${app.base}/health/ready`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ready: false });
    expect((await fetch(`${app.base}/health`)).status).toBe(503);
    expect((await fetch(`${app.base}/health/live`)).status).toBe(200);

    a!.setDefault(fault.ok());
    b!.setDefault(fault.ok());
    await sleep(350);
    expect((await fetch(`${app.base}/ask`)).status).toBe(200);
    const up = await fetch(`${app.base}/health/ready`);
    expect(up.status).toBe(200);
    expect(await up.json()).toMatchObject({ ready: true });
  });

  test('HEAD on the health routes, and mounting under a prefix', async () => {
    const web = createApp();
    web.use('/ops', aiFailover(env.config(), { health: { path: '/status' } }));
    app = await listen(web);
    const head = await fetch(`${app.base}/ops/status`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/application\/json/);
    expect(await head.text()).toBe('');
    expect((await fetch(`${app.base}/ops/status/ready`)).status).toBe(200);
    expect((await fetch(`${app.base}/status`)).status).toBe(404);
    expect((await fetch(`${app.base}/ops/health`)).status).toBe(404);
  });

  test('aiFailoverErrorHandler answers typed errors as JSON with their status, hiding upstream details', async () => {
    const [a, b] = env.mocks;
    a!.setDefault(fault.status(503));
    b!.setDefault(fault.reset());
    const web = createApp();
    web.use(aiFailover(env.config()));
    web.get('/ask', askRoute());
    web.get('/bad', async (req, _res, next) => {
      await req.ai.chat({ messages: [] }).catch(next);
    });
    web.use(aiFailoverErrorHandler());
    app = await listen(web);

    const failed = await fetch(`${app.base}/ask`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('x-ai-failover-trace')).toMatch(
      /^a\/gpt-4\.1;outcome=server_error;status=503;ms=\d+, b\/gpt-4\.1;outcome=connection_error;ms=\d+$/,
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

  test('without the error handler, a typed error reaches Express with its status', async () => {
    env.mocks[0]!.setDefault(fault.status(503));
    env.mocks[1]!.setDefault(fault.status(503));
    const web = createApp();
    web.use(aiFailover(env.config()));
    web.get('/ask', askRoute());
    const seen: unknown[] = [];
    const capture: ErrorRequestHandler = (err, _req, res, _next) => {
      seen.push(err);
      res.status((err as { status: number }).status).end();
    };
    web.use(capture);
    app = await listen(web);
    expect((await fetch(`${app.base}/ask`)).status).toBe(503);
    expect(seen[0]).toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED', status: 503, expose: false });
  });

  test('app.use(aiFailover) without the call fails with a clear TypeError', async () => {
    const web = createApp();
    web.use(aiFailover as unknown as RequestHandler);
    const seen: unknown[] = [];
    const capture: ErrorRequestHandler = (err, _req, res, _next) => {
      seen.push(err);
      res.status(500).end();
    };
    web.use(capture);
    app = await listen(web);
    expect((await fetch(`${app.base}/`)).status).toBe(500);
    expect(seen[0]).toBeInstanceOf(TypeError);
    expect((seen[0] as Error).message).toMatch(/middleware factory.*app\.use\(aiFailover\(config\)\)/);
  });

  test('a bad option fails at creation with a ConfigError naming it', () => {
    const config = env.config();
    expect(() => aiFailover(config, { openai: { authorize: 'yes' as never } })).toThrow(ConfigError);
    expect(() => aiFailover(config, { openai: { authorize: 'yes' as never } })).toThrow(
      /express\.openai\.authorize: must be a function/,
    );
    expect(() => aiFailover(config, { helth: false } as never)).toThrow(
      /express\.helth: unknown option; did you mean "health"\?/,
    );
    expect(() => aiFailover(config, { client: config } as never)).toThrow(/express\.client: not an option/);
    expect(() => aiFailover({ ...config, providers: [] })).toThrow(ConfigError);
  });

  test('closing the HTTP server closes a client the middleware created, not one passed in', async () => {
    const ai = aiFailover(env.config());
    const own = new AiClient(env.config());
    const borrowed = aiFailover(own);
    const web = createApp();
    web.use(ai);
    web.use('/other', borrowed);
    web.get('/ask', askRoute());
    app = await listen(web);
    expect((await fetch(`${app.base}/ask`)).status).toBe(200);
    expect((await fetch(`${app.base}/other/health`)).status).toBe(200);
    expect(ai.client.closed).toBe(false);

    await app.close();
    expect(ai.client.closed).toBe(true);
    await expect(ai.client.chat(hello)).rejects.toBeInstanceOf(ClientClosedError);
    expect(own.closed).toBe(false);
    await borrowed.close();
    expect(own.closed).toBe(false);
    await own.close();
  });
});

describe('shutting down with close({ drainMs })', () => {
  test('readiness turns 503 at once; a hung call ends with 503 client_closed after drainMs', async () => {
    const env = await providers(['a']);
    env.mocks[0]!.setDefault(fault.hang());
    const ai = aiFailover(env.config(), { openai: { authorize: () => true } });
    const web = express();
    web.use(ai);
    const app = await listen(web);
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
      expect((await env.mocks[0]!.waitForAbort(1000)).aborted).toBe(true);
    } finally {
      await app.close();
      await env.close();
    }
  });
});
