import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, type AiFailoverConfig, type StateChange } from '.';
import { hello, ManualClock } from './__tests__/support';

let mocks: MockProvider[] = [];
let clients: AiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(mocks.map((m) => m.close()));
  clients = [];
  mocks = [];
});

async function replicas(count: number): Promise<{ config: AiFailoverConfig; clients: AiClient[] }> {
  mocks = await Promise.all([MockProvider.start({ name: 'a' }), MockProvider.start({ name: 'b' })]);
  const config: AiFailoverConfig = {
    providers: [
      { id: 'a', baseUrl: mocks[0]!.baseUrl, apiKey: ['key-a-one-0001', 'key-a-two-0002'] },
      { id: 'b', baseUrl: mocks[1]!.baseUrl, apiKey: 'key-b-0001' },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    policy: { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 } },
  };
  clients = Array.from({ length: count }, () => new AiClient(config));
  return { config, clients };
}

describe('state shared between replicas', () => {
  test('a key one replica saw rate-limited is skipped by another, without an attempt', async () => {
    const [one, two] = (await replicas(2)).clients as [AiClient, AiClient];
    const seen: StateChange[] = [];
    one.on('stateChange', (change) => {
      seen.push(change);
      two.applyStateChange(change);
    });
    mocks[0]!.handle((req) =>
      req.apiKey === 'key-a-one-0001' ? fault.rateLimited({ retryAfterSeconds: 120 }) : undefined,
    );
    await one.chat(hello); // key one: 429 for 2 minutes
    expect(seen).toEqual([
      expect.objectContaining({ kind: 'cooldown', provider: 'a', deployment: 'a/m', reason: 'rate_limited' }),
    ]);
    expect(JSON.stringify(seen)).not.toContain('key-a-one');
    const before = mocks[0]!.requests.length;
    for (let i = 0; i < 4; i++) await two.chat(hello);
    const used = mocks[0]!.requests.slice(before).map((r) => r.apiKey);
    expect(used).toEqual(['key-a-two-0002', 'key-a-two-0002', 'key-a-two-0002', 'key-a-two-0002']);
  });

  test('a breaker one replica opened opens on the other, and is not announced back', async () => {
    const [one, two] = (await replicas(2)).clients as [AiClient, AiClient];
    const fromTwo: StateChange[] = [];
    one.on('stateChange', (change) => two.applyStateChange(change));
    two.on('stateChange', (change) => fromTwo.push(change));
    mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 3; i++) await one.chat(hello);
    expect(two.health().deployments.find((d) => d.id === 'a/m')!.breaker).toBe('open');
    expect(fromTwo).toEqual([]);
    const before = mocks[0]!.requests.length;
    const { report } = await two.chat(hello);
    expect(report.deployment).toBe('b/m');
    expect(mocks[0]!.requests.length).toBe(before);
    one.applyStateChange({ kind: 'breaker', deployment: 'a/m', state: 'closed' });
    expect(one.health().deployments.find((d) => d.id === 'a/m')!.breaker).toBe('closed');
  });

  test('an open breaker learned elsewhere lasts until the time it names, then lets a probe through', async () => {
    const { config } = await replicas(0);
    const clock = new ManualClock();
    const one = new AiClient(config, { clock });
    clients.push(one);
    const until = clock.now() + 5000;
    expect(one.applyStateChange({ kind: 'breaker', deployment: 'a/m', state: 'open', until })).toBe(true);
    const breaker = () => one.health().deployments.find((d) => d.id === 'a/m')!.breaker;
    expect(breaker()).toBe('open');
    clock.advance(4999);
    expect((await one.chat(hello)).report.deployment).toBe('b/m');
    clock.advance(1);
    expect(breaker()).toBe('half-open');
    expect((await one.chat(hello)).report.deployment).toBe('a/m');
    expect(breaker()).toBe('closed');
    // One that has already ended there is not applied.
    expect(one.applyStateChange({ kind: 'breaker', deployment: 'a/m', state: 'open', until })).toBe(false);
  });

  test('changes that do not fit this replica are ignored', async () => {
    const [one] = (await replicas(1)).clients as [AiClient];
    expect(one.applyStateChange({ kind: 'breaker', deployment: 'zz/m', state: 'open' })).toBe(false);
    expect(
      one.applyStateChange({
        kind: 'cooldown',
        provider: 'a',
        deployment: 'a/m',
        key: 'unknown',
        until: Date.now() + 1000,
        reason: 'auth',
      }),
    ).toBe(false);
    expect(
      one.applyStateChange({
        kind: 'cooldown',
        provider: 'a',
        deployment: 'a/m',
        key: null,
        until: Date.now() - 1,
        reason: 'auth',
      }),
    ).toBe(false);
  });

  test('a change with a time out of range is ignored or cut to this config, so health never breaks', async () => {
    const [one, two] = (await replicas(2)).clients as [AiClient, AiClient];
    const learned: StateChange[] = [];
    one.on('stateChange', (change) => learned.push(change));
    mocks[1]!.script(fault.rateLimited({ retryAfterSeconds: 120 }));
    mocks[0]!.script(fault.status(503));
    await one.chat(hello).catch(() => undefined);
    const cooldown = learned.find((c) => c.kind === 'cooldown' && c.provider === 'b')!;
    expect(cooldown).toBeDefined();

    for (const until of [Number.NaN, Number.POSITIVE_INFINITY, -5]) {
      expect(two.applyStateChange({ ...cooldown, until } as StateChange)).toBe(false);
    }
    expect(
      two.applyStateChange({ kind: 'breaker', deployment: 'a/m', state: 'open', until: Number.NaN }),
    ).toBe(false);
    expect(two.applyStateChange({ ...cooldown, until: 1e300 } as StateChange)).toBe(true);
    const b = two.health().deployments.find((d) => d.id === 'b/m')!;
    // Cut to the longest cooldown this config sets: an upstream's wait, an hour by default.
    expect(Date.parse(b.availableAt!)).toBeGreaterThan(Date.now() + 3_500_000);
    expect(Date.parse(b.availableAt!)).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });
});
