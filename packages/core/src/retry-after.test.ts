/**
 * Every wait an upstream asks for is cut to `limits.retryAfterMs` (an hour by default): a huge or
 * unrepresentable `Retry-After` cannot cool a key down until restart, nor break the health report,
 * `/health`, `/metrics` or the dashboard.
 */
import { fault, type Listening, listen } from '@ai-failover/testing';
import type { StateChange } from '.';
import { type Harness, harness, hello } from './__tests__/support';
import { createAiHttpHandler } from './http';

const HOUR = 3_600_000;

let h: Harness | undefined;
let served: Listening | undefined;
afterEach(async () => {
  await served?.close();
  await h?.close();
  h = served = undefined;
});

/** Serves the client's health, metrics and dashboard routes. */
async function serve(harnessed: Harness): Promise<Listening> {
  const http = createAiHttpHandler({ client: harnessed.client, dashboard: true });
  return listen((req, res) => {
    void http.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
}

describe('upstream-given waits are clamped', () => {
  test.each<[string, Record<string, string>]>([
    ['Retry-After: 1000000000000', { 'retry-after': '1000000000000' }],
    ['Retry-After: 1e300', { 'retry-after': '1e300' }],
    ['retry-after-ms: 1e300', { 'retry-after-ms': '1e300' }],
    ['an HTTP date in year 9999', { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
  ])(
    '%s cools the key down for an hour at most; health, metrics and dashboard still answer',
    async (_name, headers) => {
      h = await harness(['a', 'b'], { policy: { retries: 0 }, config: { metrics: true } });
      const changes: StateChange[] = [];
      h.client.on('stateChange', (change) => changes.push(change));
      h.mocks[0]!.script(fault.status(429, { headers }));
      const before = Date.now();
      const { report } = await h.client.chat(hello);
      expect(report.deployment).toBe('b/b-model');
      expect(report.attempts[0]).toMatchObject({ outcome: 'rate_limited', retryAfterMs: HOUR });

      const cooldown = changes.find((c) => c.kind === 'cooldown');
      expect(cooldown?.until).toBeGreaterThanOrEqual(before + HOUR);
      expect(cooldown?.until).toBeLessThanOrEqual(Date.now() + HOUR);
      const a = h.client.health().deployments.find((d) => d.id === 'a/a-model')!;
      expect(Date.parse(a.availableAt!)).toBeLessThanOrEqual(Date.now() + HOUR);

      served = await serve(h);
      for (const path of [
        '/health',
        '/health/ready',
        '/metrics',
        '/ai-failover/snapshot.json',
        '/ai-failover',
      ]) {
        const res = await fetch(`${served.base}${path}`);
        expect([path, res.status]).toEqual([path, 200]);
      }
    },
  );

  test('limits.retryAfterMs sets the cap', async () => {
    h = await harness(['a', 'b'], {
      policy: { retries: 0 },
      config: { limits: { retryAfterMs: 5000 } },
    });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterSeconds: 86_400 }));
    const { report } = await h.client.chat(hello);
    expect(report.attempts[0]).toMatchObject({ outcome: 'rate_limited', retryAfterMs: 5000 });
    const a = h.client.health().deployments.find((d) => d.id === 'a/a-model')!;
    expect(Date.parse(a.availableAt!)).toBeLessThanOrEqual(Date.now() + 5000);
  });

  test.each<[string, Record<string, string>]>([
    ['a negative Retry-After', { 'retry-after': '-30' }],
    ['a Retry-After that is not a number or a date', { 'retry-after': 'later' }],
    ['retry-after-ms NaN', { 'retry-after-ms': 'NaN' }],
  ])('%s is ignored: the default rate-limit cooldown applies', async (_name, headers) => {
    h = await harness(['a', 'b'], { policy: { retries: 0, rateLimitCooldownMs: 2000 } });
    h.mocks[0]!.script(fault.status(429, { headers }));
    const { report } = await h.client.chat(hello);
    expect(report.attempts[0]!.outcome).toBe('rate_limited');
    expect(report.attempts[0]!.retryAfterMs).toBeUndefined();
    const a = h.client.health().deployments.find((d) => d.id === 'a/a-model')!;
    expect(Date.parse(a.availableAt!)).toBeLessThanOrEqual(Date.now() + 2000);
  });
});
