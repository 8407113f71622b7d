import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient } from '../client';
import { AllAttemptsFailedError, ClientClosedError, ConfigError } from '../errors';
import type { AiFailoverConfig } from '../types';
import { createScrubber } from './context';
import { type AiHttpHandler, createAiHttpHandler } from './handler';
import { ClientDisconnectedError, requestSignal } from './signal';

const hello = { messages: [{ role: 'user', content: 'hello' }] };

let mock: MockProvider;
let servers: Server[] = [];
let handlers: AiHttpHandler[] = [];

beforeEach(async () => {
  mock = await MockProvider.start({ name: 'a' });
});

afterEach(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    if (server.listening) await new Promise((resolve) => server.close(resolve));
  }
  await Promise.all(handlers.map((h) => h.close()));
  await mock.close();
  servers = [];
  handlers = [];
});

function config(): AiFailoverConfig {
  return {
    providers: [{ id: 'a', baseUrl: mock.baseUrl, apiKey: 'key-a-very-secret-0001' }],
    models: { chat: { deployments: [{ provider: 'a', model: 'a-model' }] } },
    policy: { retries: 0 },
  };
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function serveWith(http: AiHttpHandler): Promise<string> {
  handlers.push(http);
  return listen((req, res) => {
    http.handle(req, res).then(
      (handled) => {
        if (!handled) res.writeHead(404).end('not ours');
      },
      () => res.writeHead(500).end(),
    );
  });
}

describe('createAiHttpHandler on a bare node:http server', () => {
  test('health shows upstream details only to health.authorize; a throwing authorize shows the status only', async () => {
    mock.setDefault(fault.reset());
    const base = await serveWith(
      createAiHttpHandler({
        client: config(),
        health: {
          authorize: (req) => {
            if (req.headers.authorization === 'Bearer boom') throw new Error('authorize failed');
            return req.headers.authorization === 'Bearer ops';
          },
        },
      }),
    );
    const client = handlers[0]!.client;
    for (let i = 0; i < 3; i++) await client.chat(hello).catch(() => undefined);
    const port = new URL(mock.baseUrl).port;
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Bearer boom' }] as Record<
      string,
      string
    >[]) {
      for (const path of ['/health', '/health/ready', '/health/live']) {
        const res = await fetch(`${base}${path}`, { headers });
        const text = await res.text();
        expect(text).not.toContain(port);
        expect(text).not.toMatch(/127\.0\.0\.1|ECONNRESET|socket/i);
        expect(Object.keys(JSON.parse(text))).toHaveLength(1);
        expect(res.status).toBe(path === '/health/live' ? 200 : 503);
      }
    }
    const detailed = await fetch(`${base}/health`, { headers: { authorization: 'Bearer ops' } });
    expect(detailed.status).toBe(503);
    const report = (await detailed.json()) as {
      providers: { url: string }[];
      deployments: { lastError: string }[];
    };
    expect(report.providers[0]!.url).toBe(mock.baseUrl);
    expect(report.deployments[0]!.lastError).toBeTruthy();
  });

  test('serves the health routes (GET and HEAD, no-store) and leaves other paths alone', async () => {
    const base = await serveWith(createAiHttpHandler({ client: config() }));
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect(await health.json()).toEqual({ status: 'healthy' });

    const head = await fetch(`${base}/health/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');

    expect(await (await fetch(`${base}/health/live?x=1`)).json()).toEqual({ status: 'ok' });
    expect((await fetch(`${base}/metrics`)).status).toBe(404); // the client has no metrics
    expect((await fetch(`${base}/v1/models`)).status).toBe(404); // OpenAI routes are off by default
    expect((await fetch(`${base}/health`, { method: 'POST' })).status).toBe(404);
  });

  test('a handler owns a client built from a config, not one passed in', async () => {
    const owned = createAiHttpHandler({ client: config() });
    expect(owned.ownsClient).toBe(true);
    await owned.close();
    expect(owned.client.closed).toBe(true);

    const client = new AiClient(config());
    const borrowed = createAiHttpHandler({ client });
    expect(borrowed.ownsClient).toBe(false);
    await borrowed.close();
    expect(client.closed).toBe(false);
    await client.close();
  });

  test('an owned client is closed when a watched server closes', async () => {
    const http = createAiHttpHandler({ client: config() });
    handlers.push(http);
    const server = createServer();
    http.watchServer(server);
    http.watchServer(server);
    expect(server.listenerCount('close')).toBe(1);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    await new Promise((resolve) => server.close(resolve));
    expect(http.client.closed).toBe(true);
    await expect(http.client.chat(hello)).rejects.toBeInstanceOf(ClientClosedError);
  });

  test('bad options throw a ConfigError named after the adapter', () => {
    expect(() =>
      createAiHttpHandler({ client: config(), openai: { authorize: undefined as never } }, { name: 'koa' }),
    ).toThrow(/koa\.openai\.authorize: must be a function/);
    expect(() => createAiHttpHandler({} as never)).toThrow(ConfigError);
  });

  test('the request-bound caller rejects with errors that carry status and expose', async () => {
    mock.setDefault(fault.status(503));
    const http = createAiHttpHandler({ client: config() });
    handlers.push(http);
    let caught: unknown;
    const base = await listen((req, res) => {
      http
        .caller(req, res)
        .chat(hello)
        .catch((error: unknown) => {
          caught = error;
          res.end();
        });
    });
    await fetch(base);
    expect(caught).toBeInstanceOf(AllAttemptsFailedError);
    expect(caught).toMatchObject({ status: 503, expose: false });
  });
});

describe('metrics and affinity', () => {
  test('the metrics route is served when the client has metrics', async () => {
    const client = new AiClient({ ...config(), metrics: true });
    await client.chat(hello);
    const base = await serveWith(createAiHttpHandler({ client, metrics: { path: '/prom' } }));
    const res = await fetch(`${base}/prom`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(client.metrics!.contentType);
    expect(await res.text()).toMatch(/^ai_requests_total\{[^}]*outcome="success"\} 1$/m);
    await client.close();
  });

  test('an affinity header keeps a user on one deployment, for req.ai and the OpenAI routes', async () => {
    const second = await MockProvider.start({ name: 'b' });
    try {
      const http = createAiHttpHandler({
        client: {
          providers: [
            { id: 'a', baseUrl: mock.baseUrl, apiKey: 'key-a-0001' },
            { id: 'b', baseUrl: second.baseUrl, apiKey: 'key-b-0001' },
          ],
          models: {
            chat: {
              strategy: 'consistent-hash',
              deployments: [
                { provider: 'a', model: 'a-model' },
                { provider: 'b', model: 'b-model' },
              ],
            },
          },
        },
        affinityKey: 'X-User',
        openai: { authorize: () => true },
      });
      handlers.push(http);
      const base = await listen((req, res) => {
        if (req.url === '/ask') {
          void http
            .caller(req, res)
            .chat(hello)
            .then(({ report }) => res.end(report.deployment));
          return;
        }
        void http.handle(req, res);
      });
      const everyone = new Set<string | null>();
      for (const user of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank']) {
        const served = new Set<string | null>();
        for (let i = 0; i < 4; i++) {
          served.add(await (await fetch(`${base}/ask`, { headers: { 'x-user': user } })).text());
          const res = await fetch(`${base}/v1/chat/completions`, {
            method: 'POST',
            headers: { 'x-user': user, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'chat', ...hello }),
          });
          served.add(res.headers.get('x-ai-failover-deployment'));
        }
        expect(served.size).toBe(1);
        for (const deployment of served) everyone.add(deployment);
      }
      expect([...everyone].sort()).toEqual(['a/a-model', 'b/b-model']);
    } finally {
      await second.close();
    }
  });
});

describe('requestSignal', () => {
  test('fires when the client hangs up before the response finished, and stops listening', async () => {
    let seen: { signal: AbortSignal; res: ServerResponse; before: number } | undefined;
    const closed = new Promise<void>((resolve) => {
      void listen((req, res) => {
        const before = res.listenerCount('close');
        const { signal } = requestSignal(req, res);
        seen = { signal, res, before };
        res.once('close', () => setImmediate(resolve));
      }).then((base) => {
        const controller = new AbortController();
        fetch(base, { signal: controller.signal }).catch(() => {});
        setTimeout(() => controller.abort(), 50);
      });
    });
    await closed;
    expect(seen?.signal.aborted).toBe(true);
    expect(seen?.signal.reason).toBeInstanceOf(ClientDisconnectedError);
    expect(seen?.res.listenerCount('close')).toBe(seen?.before);
  });

  test('does not fire when the response finished', async () => {
    let seen: { signal: AbortSignal; res: ServerResponse; before: number } | undefined;
    const base = await listen((req, res) => {
      const before = res.listenerCount('close');
      seen = { signal: requestSignal(req, res).signal, res, before };
      res.end('ok');
    });
    expect(await (await fetch(base)).text()).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen?.signal.aborted).toBe(false);
    expect(seen?.res.listenerCount('close')).toBe(seen?.before);
  });
});

describe('createScrubber', () => {
  test('removes keys, provider URLs and host names, other URLs and IP addresses', async () => {
    const client = new AiClient({
      providers: [
        { id: 'x', baseUrl: 'https://llm.internal.example.com/v1', apiKey: 'sk-live-abcdef123456' },
      ],
      models: { m: { deployments: [{ provider: 'x', model: 'm' }] } },
    });
    const scrub = createScrubber(client);
    expect(
      scrub(
        'x/m failed: sk-live-abcdef123456 at https://llm.internal.example.com/v1/chat; ' +
          'getaddrinfo ENOTFOUND llm.internal.example.com; connect ECONNREFUSED 10.0.0.7:443 [::1]:80',
      ),
    ).toBe(
      'x/m failed: [redacted] at [url]; getaddrinfo ENOTFOUND [host]; connect ECONNREFUSED [address] [address]',
    );
    await client.close();
  });
});
