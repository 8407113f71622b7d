/**
 * The dashboard page in headless Chromium: it renders both deployments, then shows an outage
 * (unhealthy, breaker open, failovers) live over server-sent events, without a reload.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fault } from '@ai-failover/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Harness, harness, hello } from '../__tests__/support';
import { createDashboard, type Dashboard } from '.';

jest.setTimeout(60_000);

const CHROMIUM = '/usr/bin/chromium';
const A = 'a/a-model';
const B = 'b/b-model';
const row = (id: string, extra = '') => `[data-testid="deployment-row"][data-deployment="${id}"]${extra}`;

// Outside CI a machine without Chromium skips this suite (saying why); in CI (.ci/run installs
// Chromium) its absence is a failure, never a silent skip.
const hasChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!hasChromium) {
  console.warn(`Skipping the dashboard browser test: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
const suite = hasChromium ? describe : describe.skip;

/** Polls `read` until it returns a value `accept`s, or fails after `timeoutMs`. */
async function until<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms; last: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Keeps calls flowing for `ms`, `concurrency` at a time. */
async function traffic(h: Harness, ms: number, concurrency = 2): Promise<void> {
  const end = Date.now() + ms;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) await h.client.chat(hello).catch(() => undefined);
    }),
  );
}

suite('dashboard in a browser', () => {
  let browser: Browser;
  let h: Harness;
  let dashboard: Dashboard;
  let server: Server;
  let base: string;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    h = await harness(['a', 'b'], {
      policy: { retries: 0, breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 } },
      group: { strategy: 'weighted' },
      // Health would steer calls away after three failures in a row: let the breaker trip first.
      config: { health: { unhealthyAfter: 5 } },
    });
    for (const mock of h.mocks) mock.setDefault(fault.ok({ latencyMs: { min: 15, max: 70 } }));
    dashboard = createDashboard(h.client, { intervalMs: 250, title: 'Checkout service · LLM' });
    server = createServer((req, res) => {
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
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    problems.length = 0;
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
  });

  afterEach(async () => {
    await page?.close();
    dashboard?.close();
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    await h?.close();
  });

  test('shows both deployments healthy, then an outage live: unhealthy, breaker open, failovers', async () => {
    await page.goto(`${base}/ai-failover`);
    await page.waitForSelector(row(A, '[data-status="healthy"][data-breaker="closed"]'));
    await page.waitForSelector(row(B, '[data-status="healthy"][data-breaker="closed"]'));
    expect(await page.locator('[data-testid="deployment-row"]').count()).toBe(2);
    expect(await page.locator('[data-testid="connection"]').getAttribute('data-state')).toBe('live');
    expect(await page.locator(`${row(A)} [data-testid="breaker"]`).textContent()).toBe('closed');
    expect(await page.title()).toBe('healthy · Checkout service · LLM');
    // Marks this document: a reload would lose the mark.
    await page.evaluate('window.__sameDocument = true');

    // Healthy traffic on both, so the charts and counters have something to show.
    await traffic(h, 3000);
    await until(
      () => page.locator('[data-testid="requests"]').textContent(),
      (text) => Number((text ?? '0').replace(/,/g, '')) > 10,
    );

    // The primary goes down; traffic continues until its breaker opens (failures must outweigh
    // the successes still in the breaker's rolling window).
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 1000; i++) {
      await h.client.chat(hello);
      if (h.client.health().deployments.find((d) => d.id === A)?.breaker === 'open') break;
    }
    expect(h.client.health().deployments.find((d) => d.id === A)?.breaker).toBe('open');
    await traffic(h, 2500);

    await page.waitForSelector(row(A, '[data-breaker="open"][data-status="unhealthy"][data-usable="false"]'));
    expect(await page.locator(`${row(A)} [data-testid="breaker"]`).textContent()).toBe('open');
    expect(await page.locator(`${row(A)} [data-testid="deployment-status"]`).textContent()).toBe('unhealthy');
    expect(await page.locator(`${row(A)} [data-testid="last-error"]`).textContent()).toContain('overloaded');
    expect(await page.locator(row(B)).getAttribute('data-status')).toBe('healthy');
    await page.waitForSelector(`[data-testid="failover-item"][data-deployment="${A}"]`);
    const failover = await page.locator('[data-testid="failover-item"]').first().textContent();
    expect(failover).toContain(A);
    expect(failover).toContain('server error · 503');
    await page.waitForSelector(`[data-testid="change-item"][data-kind="breaker"][data-deployment="${A}"]`);
    await until(
      () => page.locator('[data-testid="status"]').getAttribute('data-value'),
      (status) => status === 'degraded',
    );
    await until(
      () =>
        page.locator(`[data-testid="group-deployment"][data-deployment="${A}"]`).getAttribute('data-usable'),
      (usable) => usable === 'false',
    );
    expect(Number(await page.locator('[data-testid="failover-count"]').textContent())).toBeGreaterThanOrEqual(
      3,
    );
    expect(await page.locator('[data-testid="cost"]').textContent()).toMatch(/^\$\d/);

    // Same document all along, and the charts have lines on them.
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    const inked = (await page.evaluate(`(() => {
      const canvas = document.querySelector('[data-testid="latency-chart"]');
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
      return n;
    })()`)) as number;
    expect(inked).toBeGreaterThan(2000);
    expect(problems).toEqual([]);

    await page.screenshot({ path: '/tmp/dashboard.png', fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    await page.screenshot({ path: '/tmp/dashboard-dark.png', fullPage: true });

    // On a phone-sized screen the page does not scroll sideways (wide tables scroll in their box).
    await page.setViewportSize({ width: 400, height: 900 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: '/tmp/dashboard-narrow.png', fullPage: true });
  });

  test('a page left open reconnects after the dashboard closes and shows the stream as down', async () => {
    await page.goto(`${base}/ai-failover`);
    await page.waitForSelector('[data-testid="connection"][data-state="live"]');
    dashboard.close();
    await page.waitForSelector('[data-testid="connection"][data-state="down"]');
    expect(problems.filter((p) => !p.includes('503'))).toEqual([]);
  });
});
