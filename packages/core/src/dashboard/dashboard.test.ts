/** The live dashboard over a plain `node:http` server: page, snapshot, event stream, auth, cleanup. */
import { createHash } from 'node:crypto';
import { type ClientRequest, createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, ConfigError } from '..';
import { activeResources, type Harness, harness, hello } from '../__tests__/support';
import { createDashboard, type Dashboard, type DashboardOptions, type DashboardState } from '.';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

interface SseEvent {
  event: string;
  data: string;
}

interface Served {
  server: Server;
  base: string;
  close(): Promise<void>;
}

/** A plain server that gives every request to the dashboard and answers 404 when it declines. */
async function serve(dashboard: Dashboard): Promise<Served> {
  const server = createServer((req, res) => {
    dashboard.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname).then(
      (handled) => {
        if (!handled) {
          res.statusCode = 404;
          res.end('not found');
        }
      },
      () => {
        res.statusCode = 500;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One request on a fresh connection (no keep-alive, so no socket outlives it). */
function fetchText(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A server-sent-events client that keeps the raw text and the parsed events. */
class SseClient {
  raw = '';
  readonly events: SseEvent[] = [];
  ended = false;
  readonly #req: ClientRequest;
  readonly response: Promise<IncomingMessage>;
  readonly #closed: Promise<void>;
  #buffer = '';
  #waiters: Array<() => void> = [];

  constructor(url: string, headers: Record<string, string> = {}) {
    let onClosed!: () => void;
    this.#closed = new Promise((resolve) => {
      onClosed = resolve;
    });
    this.#req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
    this.response = new Promise((resolve, reject) => {
      this.#req.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.#take(chunk));
        res.on('end', () => {
          this.ended = true;
          this.#notify();
        });
        res.on('close', onClosed);
        resolve(res);
      });
      this.#req.on('error', (error) => {
        onClosed();
        reject(error);
      });
    });
    this.#req.end();
  }

  #take(chunk: string): void {
    this.raw += chunk;
    this.#buffer += chunk;
    let end = this.#buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) this.events.push({ event, data: data.join('\n') });
      end = this.#buffer.indexOf('\n\n');
    }
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** The `n`-th (1-based) event matching, once it arrived. */
  async waitFor(name: string, match: (data: unknown) => boolean = () => true, n = 1): Promise<unknown> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = this.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as unknown);
      const hits = found.filter(match);
      if (hits.length >= n) return hits[n - 1];
      if (this.ended) throw new Error(`stream ended before ${n} "${name}" event(s)`);
      if (Date.now() > deadline) throw new Error(`no ${n} "${name}" event(s) within 5 s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the connection is fully closed. */
  closed(): Promise<void> {
    return this.#closed;
  }

  close(): Promise<void> {
    this.#req.destroy();
    return this.#closed;
  }
}

const A = 'a/a-model';
const B = 'b/b-model';
const quick = { retries: 0, breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 } };

let h: Harness | undefined;
let dashboard: Dashboard | undefined;
let served: Served | undefined;
const streams: SseClient[] = [];
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(streams.splice(0).map((s) => s.close()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  dashboard?.close();
  await served?.close();
  await h?.close();
  h = undefined;
  dashboard = undefined;
  served = undefined;
});

async function setup(
  options: DashboardOptions = {},
): Promise<{ h: Harness; base: string; dashboard: Dashboard }> {
  h = await harness(['a', 'b'], { policy: quick });
  dashboard = createDashboard(h.client, { intervalMs: 100, ...options });
  served = await serve(dashboard);
  return { h, base: served.base, dashboard };
}

function sse(url: string, headers?: Record<string, string>): SseClient {
  const client = new SseClient(url, headers);
  streams.push(client);
  return client;
}

describe('dashboard page', () => {
  test('GET {path} answers a self-contained HTML page with a CSP that admits only its own inline code', async () => {
    const { base } = await setup({ title: 'Shop <AI> & co' });
    const page = await fetchText(`${base}/ai-failover`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toMatch(/https?:/);

    const html = page.body;
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<title>Shop &#60;AI&#62; &#38; co</title>');
    expect(html).not.toContain('<AI>');
    for (const id of [
      'status',
      'deployment-rows',
      'failovers',
      'latency-chart',
      'success-chart',
      'models',
      'rps',
    ]) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    // No external resource: nothing is loaded from anywhere but the page itself.
    expect(html).not.toMatch(/\s(?:src|href)="(?!data:)/);

    // The CSP hashes are those of the inline script and stylesheet, and the script parses.
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(csp).toContain(`script-src 'self' ${hash(script)}`);
    expect(csp).toContain(`style-src 'self' ${hash(style)}`);
    expect(() => new Function(script)).not.toThrow();
  });

  test('the page also answers with a trailing slash and to HEAD; other URLs are passed on', async () => {
    const { base } = await setup();
    expect((await fetchText(`${base}/ai-failover/`)).status).toBe(200);
    const head = await fetchText(`${base}/ai-failover`, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    for (const path of [
      '/',
      '/ai-failoverx',
      '/ai-failover/nope',
      '/ai-failover/events/x',
      '/other/ai-failover',
    ]) {
      expect((await fetchText(`${base}${path}`)).status).toBe(404);
    }
  });

  test('other methods get 405 with Allow', async () => {
    const { base } = await setup();
    const answer = await fetchText(`${base}/ai-failover/snapshot.json`, 'POST');
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  test('a custom path, and "/" for a dashboard mounted on its own prefix', async () => {
    const { base, dashboard: d } = await setup({ path: '/ops/llm/' });
    expect(d.path).toBe('/ops/llm');
    expect((await fetchText(`${base}/ops/llm`)).status).toBe(200);
    expect((await fetchText(`${base}/ops/llm/snapshot.json`)).status).toBe(200);
    expect((await fetchText(`${base}/ai-failover`)).status).toBe(404);

    const root = createDashboard(h!.client, { path: '/' });
    const other = await serve(root);
    try {
      expect((await fetchText(`${other.base}/`)).status).toBe(200);
      expect(JSON.parse((await fetchText(`${other.base}/snapshot.json`)).body)).toHaveProperty('health');
      expect((await fetchText(`${other.base}/nope`)).status).toBe(404);
    } finally {
      root.close();
      await other.close();
    }
  });
});

describe('dashboard snapshot.json', () => {
  test('answers the health report, usage, counters and recent failovers, uncached', async () => {
    const { h, base } = await setup();
    h.mocks[0]!.setDefault(fault.status(503));
    await h.client.chat(hello);
    await h.client.chat(hello);

    const answer = await fetchText(`${base}/ai-failover/snapshot.json`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-store');
    const state = JSON.parse(answer.body) as DashboardState;
    expect(state.intervalMs).toBe(100);
    expect(state.health.deployments.map((d) => d.id)).toEqual([A, B]);
    expect(state.health.models.map((m) => m.name)).toEqual(['chat']);
    expect(state.usage.total.requests).toBe(2);
    expect(state.usage.byDeployment[B]?.requests).toBe(2);
    expect(state.counters).toMatchObject({ requests: 2, successes: 2, errors: 0, failovers: 2 });
    expect(state.counters.requestsPerSecond).toBeGreaterThan(0);
    expect(state.failovers).toEqual([
      expect.objectContaining({ model: 'chat', from: A, reason: 'server_error', status: 503 }),
      expect.objectContaining({ model: 'chat', from: A, reason: 'server_error', status: 503 }),
    ]);
    expect(Date.parse(state.at)).toBeGreaterThan(0);
  });

  test('keeps only the last 50 failovers', async () => {
    // High thresholds keep the primary's breaker closed and its health from steering calls away,
    // so every call fails over.
    h = await harness(['a', 'b'], {
      policy: { retries: 0, breaker: { volumeThreshold: 1000, consecutiveFailures: 0 } },
      config: { health: { unhealthyAfter: 1000 } },
    });
    h.mocks[0]!.setDefault(fault.status(503));
    dashboard = createDashboard(h.client);
    served = await serve(dashboard);
    for (let i = 0; i < 55; i++) await h.client.chat(hello);
    const answer = await fetchText(`${served.base}/ai-failover/snapshot.json`);
    const state = JSON.parse(answer.body) as DashboardState;
    expect(state.failovers).toHaveLength(50);
    expect(state.counters.failovers).toBe(55);
    expect(state.failovers.at(-1)?.requestId).not.toBe(state.failovers[0]?.requestId);
  });
});

describe('dashboard event stream', () => {
  test('sends a snapshot and the history on connect, then snapshots every intervalMs', async () => {
    const { base } = await setup();
    const stream = sse(`${base}/ai-failover/events`);
    const res = await stream.response;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(res.headers['cache-control']).toContain('no-cache');

    const first = (await stream.waitFor('snapshot')) as DashboardState;
    expect(first.health.deployments.map((d) => [d.id, d.status, d.breaker])).toEqual([
      [A, 'healthy', 'closed'],
      [B, 'healthy', 'closed'],
    ]);
    expect(first.usage.total).toEqual({ requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });
    expect(first.counters.requests).toBe(0);
    expect(await stream.waitFor('history')).toEqual({ failovers: [], changes: [] });
    expect(stream.raw.startsWith('retry: ')).toBe(true);
    // Snapshots keep coming without a request.
    await stream.waitFor('snapshot', () => true, 3);
  });

  test('a call that fails over is pushed as a `failover` event; the breaker and health changes follow', async () => {
    const { h, base } = await setup();
    const stream = sse(`${base}/ai-failover/events`);
    await stream.waitFor('snapshot');

    h.mocks[0]!.setDefault(fault.status(503));
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe(B);
    const failover = (await stream.waitFor('failover')) as Record<string, unknown>;
    expect(failover).toEqual({
      at: expect.any(String),
      requestId: report.requestId,
      model: 'chat',
      from: A,
      reason: 'server_error',
      status: 503,
    });

    await h.client.chat(hello);
    await h.client.chat(hello);
    expect(await stream.waitFor('breaker')).toMatchObject({ kind: 'breaker', deployment: A, state: 'open' });
    expect(
      await stream.waitFor('health', (d) => (d as { status: string }).status === 'unhealthy'),
    ).toMatchObject({ kind: 'health', deployment: A });
    const later = (await stream.waitFor(
      'snapshot',
      (s) => (s as DashboardState).health.deployments[0]?.breaker === 'open',
    )) as DashboardState;
    expect(later.health.deployments[0]).toMatchObject({ id: A, status: 'unhealthy', usable: false });
    expect(later.counters).toMatchObject({ requests: 3, failovers: 3 });

    // A page that connects now gets the recent failovers and changes in its history.
    const late = sse(`${base}/ai-failover/events`);
    const history = (await late.waitFor('history')) as { failovers: unknown[]; changes: unknown[] };
    expect(history.failovers).toHaveLength(3);
    expect(history.changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'breaker', deployment: A, state: 'open' })]),
    );
  });
});

describe('dashboard authorization', () => {
  test('authorize returning false answers 401 in plain text on every route; true lets the request in', async () => {
    const seen: string[] = [];
    const { base } = await setup({
      authorize: (req) => {
        seen.push(req.url ?? '');
        return req.headers['x-admin'] === 'yes';
      },
    });
    for (const route of ['', '/', '/events', '/snapshot.json']) {
      const denied = await fetchText(`${base}/ai-failover${route}`);
      expect(denied.status).toBe(401);
      expect(denied.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(denied.body).toBe('Unauthorized\n');
    }
    expect((await fetchText(`${base}/ai-failover`, 'GET', { 'x-admin': 'yes' })).status).toBe(200);
    expect((await fetchText(`${base}/ai-failover/snapshot.json`, 'GET', { 'x-admin': 'yes' })).status).toBe(
      200,
    );
    const stream = sse(`${base}/ai-failover/events`, { 'x-admin': 'yes' });
    expect((await stream.response).statusCode).toBe(200);
    expect(seen).toContain('/ai-failover/events');
    // Paths that are not the dashboard's never reach authorize.
    expect((await fetchText(`${base}/elsewhere`)).status).toBe(404);
    expect(seen).not.toContain('/elsewhere');
  });

  test('an async authorize is awaited; one that throws, rejects or answers a truthy non-boolean is a 401', async () => {
    const { h, base } = await setup({ authorize: async (req) => req.headers['x-admin'] === 'yes' });
    expect((await fetchText(`${base}/ai-failover`)).status).toBe(401);
    expect((await fetchText(`${base}/ai-failover`, 'GET', { 'x-admin': 'yes' })).status).toBe(200);

    const answers: Array<() => boolean | Promise<boolean>> = [
      () => {
        throw new Error('auth backend down');
      },
      () => Promise.reject(new Error('auth backend down')),
      () => 'yes' as unknown as boolean,
    ];
    for (const authorize of answers) {
      const d = createDashboard(h.client, { authorize });
      const other = await serve(d);
      try {
        const answer = await fetchText(`${other.base}/ai-failover/snapshot.json`);
        expect(answer.status).toBe(401);
        expect(answer.body).not.toContain('backend');
      } finally {
        d.close();
        await other.close();
      }
    }
  });
});

describe('dashboard options', () => {
  test('bad options throw a ConfigError naming each one', async () => {
    h = await harness(['a']);
    const client = h.client;
    const issues = (options: unknown): Array<{ path: string; message: string }> => {
      try {
        createDashboard(client, options as DashboardOptions);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return [...(error as ConfigError).issues];
      }
      throw new Error('no ConfigError');
    };

    expect(issues({ path: 'ai-failover' })).toEqual([
      { path: 'dashboard.path', message: expect.stringContaining('must be a path starting with "/"') },
    ]);
    expect(issues({ path: '/a b' })[0]?.path).toBe('dashboard.path');
    expect(issues({ path: '/dash?x=1' })[0]?.path).toBe('dashboard.path');
    expect(issues({ path: 42 })[0]?.message).toContain('got 42');
    expect(issues({ authorize: true })).toEqual([
      { path: 'dashboard.authorize', message: expect.stringContaining('must be a function') },
    ]);
    for (const intervalMs of [0, 50, 1.5, 120_000, Number.NaN, '1000']) {
      expect(issues({ intervalMs })).toEqual([
        { path: 'dashboard.intervalMs', message: expect.stringContaining('integer from 100 to 60000') },
      ]);
    }
    expect(issues({ title: '' })[0]?.path).toBe('dashboard.title');
    expect(issues({ title: 'x'.repeat(201) })[0]?.path).toBe('dashboard.title');
    expect(issues({ pth: '/x' })).toEqual([
      { path: 'dashboard.pth', message: 'unknown option; did you mean "path"?' },
    ]);
    expect(issues({ path: 'x', authorize: 1, intervalMs: 1 }).map((i) => i.path)).toEqual([
      'dashboard.path',
      'dashboard.authorize',
      'dashboard.intervalMs',
    ]);
    expect(issues('fast')).toEqual([
      { path: 'dashboard', message: 'must be an options object, got a string' },
    ]);
    expect(() => createDashboard({} as AiClient, {})).toThrow(ConfigError);

    // The caller's object is read, not changed; no options at all is fine.
    const options = Object.freeze({ path: '/d/', intervalMs: 250 });
    const d = createDashboard(client, options);
    expect(d.path).toBe('/d');
    expect(options).toEqual({ path: '/d/', intervalMs: 250 });
    d.close();
    const plain = createDashboard(client, undefined as unknown as DashboardOptions);
    expect(plain.path).toBe('/ai-failover');
    plain.close();
  });
});

/** Active resources by type, in a stable key order. */
function resources(): Record<string, number> {
  return sorted(activeResources());
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The active resources once sockets from earlier steps have finished closing. */
async function settled(): Promise<Record<string, number>> {
  let last = resources();
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    const now = resources();
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  return last;
}

/** Waits (up to 2 s) for the active resources to be `expected`, then asserts they are. */
async function expectResources(expected: Record<string, number>): Promise<void> {
  const want = JSON.stringify(sorted(expected));
  for (let i = 0; i < 80 && JSON.stringify(resources()) !== want; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(resources()).toEqual(expected);
}

describe('dashboard cleanup', () => {
  /** Makes the dashboard's interval timers visible to `process.getActiveResourcesInfo()`. */
  function countIntervals(): { created: NodeJS.Timeout[] } {
    const created: NodeJS.Timeout[] = [];
    const real = global.setInterval;
    jest.spyOn(global, 'setInterval').mockImplementation(((
      callback: (...args: unknown[]) => void,
      ms?: number,
    ) => {
      const timer = real(callback, ms);
      timer.unref = () => timer;
      created.push(timer);
      return timer;
    }) as unknown as typeof setInterval);
    return { created };
  }

  test('one timer per dashboard while pages are open; close() ends every stream and leaves nothing behind', async () => {
    const { h, base, dashboard: d } = await setup();
    let listening = 0;
    const on = h.client.on.bind(h.client);
    // Count the client listeners of a second dashboard built on the same client.
    jest.spyOn(h.client, 'on').mockImplementation(((event: never, listener: never) => {
      listening++;
      const dispose = on(event, listener);
      return () => {
        listening--;
        dispose();
      };
    }) as unknown as typeof h.client.on);
    const second = createDashboard(h.client, { path: '/second', intervalMs: 100 });
    cleanups.push(() => second.close());
    expect(listening).toBe(8);
    const other = await serve(second);
    cleanups.push(() => other.close());

    const before = await settled();
    const { created } = countIntervals();
    const pages = [sse(`${base}/ai-failover/events`), sse(`${base}/ai-failover/events`)];
    const secondPage = sse(`${other.base}/second/events`);
    await Promise.all([...pages, secondPage].map((p) => p.waitFor('snapshot', () => true, 2)));
    expect(created).toHaveLength(2);
    await expectResources({
      ...before,
      Timeout: (before.Timeout ?? 0) + 2,
      TCPSocketWrap: (before.TCPSocketWrap ?? 0) + 6,
    });

    d.close();
    second.close();
    await Promise.all([...pages, secondPage].map((p) => p.closed()));
    expect(pages.every((p) => p.ended) && secondPage.ended).toBe(true);
    expect(listening).toBe(0);
    await expectResources(before);

    // A closed dashboard answers 503 and opens no stream.
    const after = await fetchText(`${base}/ai-failover/events`);
    expect(after.status).toBe(503);
    expect(created).toHaveLength(2);
  });

  test('the timer stops when the last page leaves and starts again with the next one', async () => {
    const { base } = await setup();
    const before = await settled();
    const { created } = countIntervals();
    const one = sse(`${base}/ai-failover/events`);
    const two = sse(`${base}/ai-failover/events`);
    await one.waitFor('snapshot', () => true, 2);
    await two.waitFor('snapshot');
    expect(created).toHaveLength(1);
    await one.close();
    await expectResources({
      ...before,
      Timeout: (before.Timeout ?? 0) + 1,
      TCPSocketWrap: (before.TCPSocketWrap ?? 0) + 2,
    });
    await two.close();
    await expectResources(before);

    const three = sse(`${base}/ai-failover/events`);
    await three.waitFor('snapshot', () => true, 2);
    expect(created).toHaveLength(2);
    await three.close();
    await expectResources(before);
  });
});

describe('dashboard secrets', () => {
  test('nothing the dashboard sends contains an API key or URL credentials', async () => {
    const keys = ['sk-dashA-7f3e9c1b2d4a6e8f0a1b', 'sk-dashB-0c2e4a6b8d1f3e5a7c9b', 'plainsecretvalue0042'];
    const password = 'pw-Zq81xLk0';
    const mocks = await Promise.all(['a', 'b'].map((name) => MockProvider.start({ name })));
    const client = new AiClient({
      providers: [
        {
          id: 'a',
          baseUrl: mocks[0]!.baseUrl.replace('http://', `http://admin:${password}@`),
          apiKey: [keys[0]!, keys[2]!],
        },
        { id: 'b', baseUrl: mocks[1]!.baseUrl, apiKey: keys[1]! },
      ],
      models: {
        chat: {
          deployments: [
            { provider: 'a', model: 'a-model' },
            { provider: 'b', model: 'b-model' },
          ],
        },
      },
      policy: quick,
    });
    const d = createDashboard(client, { intervalMs: 100 });
    const site = await serve(d);
    const stream = new SseClient(`${site.base}/ai-failover/events`);
    try {
      await stream.waitFor('snapshot');
      // Upstreams that echo the key back in their error messages.
      mocks[0]!.script(
        fault.status(503, { message: `upstream rejected key ${keys[0]} (Bearer ${keys[0]})` }),
        fault.unauthorized({ message: `Incorrect API key provided: ${keys[2]}` }),
        fault.status(500, { message: `proxy http://admin:${password}@10.0.0.1 said no to ${keys[2]}` }),
      );
      mocks[1]!.script(fault.status(502, { message: `bad gateway for ${keys[1]}` }));
      for (let i = 0; i < 4; i++) await client.chat(hello).catch(() => undefined);
      await stream.waitFor('failover');
      await stream.waitFor('snapshot', (s) =>
        (s as DashboardState).health.deployments.some((dep) => dep.lastError !== null),
      );

      const outputs = [
        (await fetchText(`${site.base}/ai-failover`)).body,
        (await fetchText(`${site.base}/ai-failover/snapshot.json`)).body,
        stream.raw,
      ];
      const everything = outputs.join('\n');
      // The scan saw real data: failovers and the (redacted) upstream errors.
      expect(everything).toContain('"reason":"server_error"');
      expect(everything).toContain('[redacted]');
      for (const secret of [...keys, password, 'admin:']) {
        for (const output of outputs) expect(output).not.toContain(secret);
      }
      for (const key of keys) expect(everything).not.toContain(key.slice(-12));
    } finally {
      await stream.close();
      d.close();
      await site.close();
      await client.close();
      await Promise.all(mocks.map((m) => m.close()));
    }
  });
});
