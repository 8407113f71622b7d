/**
 * The dashboard shows each group's canary (share, state, a rollback and why) and a summary of its
 * shadow comparisons, in the JSON snapshot and on the page in headless Chromium.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fault, MockProvider } from '@ai-failover/testing';
import { type Browser, chromium } from 'playwright-core';
import { AiClient } from '..';
import { hello } from '../__tests__/support';
import { createDashboard, type Dashboard, type DashboardState } from '.';

jest.setTimeout(60_000);

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM) || process.env.CI === 'true';
if (!hasChromium) {
  console.warn(`Skipping the dashboard traffic test: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
}
const suite = hasChromium ? describe : describe.skip;

suite('dashboard: canary and shadow', () => {
  let mocks: MockProvider[];
  let client: AiClient;
  let dashboard: Dashboard;
  let server: Server;
  let base: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    mocks = await Promise.all(
      ['stable', 'canary', 'shadow'].map((name) => MockProvider.start({ name, content: 'the same answer' })),
    );
    client = new AiClient({
      providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl })),
      models: {
        chat: {
          deployments: [{ provider: 'stable', model: 'm', price: { input: 1, output: 1 } }],
          canary: {
            deployment: { provider: 'canary', model: 'next' },
            percent: 50,
            rollback: { minCalls: 4 },
          },
          shadow: {
            deployment: { provider: 'shadow', model: 'cand', price: { input: 2, output: 2 } },
            percent: 100,
          },
        },
      },
      policy: { retries: 0 },
    });
    dashboard = createDashboard(client, { intervalMs: 100 });
    server = createServer((req, res) => {
      void dashboard.handle(req, res, new URL(req.url ?? '/', 'http://x').pathname).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await browser?.close();
    dashboard.close();
    await new Promise((resolve) => server.close(resolve));
    await client.close();
    await Promise.all(mocks.map((m) => m.close()));
  });

  test('the snapshot and the page say how the canary and the shadow do', async () => {
    mocks[1]!.setDefault(fault.status(503));
    for (let i = 0; i < 30; i++) await client.chat(hello);
    const state = async () =>
      (await (await fetch(`${base}/ai-failover/snapshot.json`)).json()) as DashboardState;
    let snapshot = await state();
    for (let i = 0; snapshot.shadows[0]?.compared !== 30 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 20));
      snapshot = await state();
    }
    expect(snapshot.health.models[0]!.canary).toEqual(
      expect.objectContaining({ deployment: 'canary/next', percent: 0, state: 'rolled-back' }),
    );
    expect(snapshot.shadows).toEqual([
      {
        model: 'chat',
        deployment: 'shadow/cand',
        compared: 30,
        primarySuccessRate: 1,
        shadowSuccessRate: 1,
        primaryLatencyMs: expect.any(Number),
        shadowLatencyMs: expect.any(Number),
        similarity: 1,
        primaryCostUsd: expect.any(Number),
        shadowCostUsd: expect.any(Number),
      },
    ]);
    expect(snapshot.shadows[0]!.shadowCostUsd).toBeCloseTo(2 * snapshot.shadows[0]!.primaryCostUsd, 12);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${base}/ai-failover`);
    const canary = page.locator('[data-model="chat"] [data-testid="group-canary"]');
    const shadow = page.locator('[data-model="chat"] [data-testid="group-shadow"]');
    await canary.filter({ hasText: 'rolled back (error rate)' }).waitFor({ timeout: 10_000 });
    expect(await canary.textContent()).toMatch(
      /^canary canary\/next · 0% · rolled-back · .*rolled back \(error rate\)$/,
    );
    expect(await canary.getAttribute('data-state')).toBe('rolled-back');
    expect(await shadow.textContent()).toMatch(
      /^shadow shadow\/cand · 30 compared · success 100% vs 100% · latency .+ vs .+ · similarity 1\.00 · cost \$.+ vs \$.+ \(apart\)$/,
    );
    expect(problems).toEqual([]);
  });
});
