import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, type CanaryChange, type CanaryConfig, InvalidRequestError, UnknownModelError } from '.';
import { hello } from './__tests__/support';

let mocks: MockProvider[] = [];
let client: AiClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await Promise.all(mocks.map((m) => m.close()));
  mocks = [];
});

/** A group `chat` on `stable`, with `canary` as its canary. */
async function start(canary: Partial<CanaryConfig> = {}, metrics = false): Promise<AiClient> {
  mocks = await Promise.all(['stable', 'canary'].map((name) => MockProvider.start({ name })));
  client = new AiClient({
    providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl })),
    models: {
      chat: {
        deployments: [{ provider: 'stable', model: 'm' }],
        canary: { deployment: { provider: 'canary', model: 'next' }, percent: 20, ...canary },
      },
    },
    policy: { retries: 0, breaker: { consecutiveFailures: 0, volumeThreshold: 10_000 } },
    metrics,
  });
  return client;
}

/** Makes the mock fail `failures` of every 10 requests it gets (the first ones of each ten). */
function failEvery10(mock: MockProvider, failures: number): void {
  let n = 0;
  mock.handle(() => (n++ % 10 < failures ? fault.status(503) : undefined));
}

async function serve(ai: AiClient, calls: number, affinityKey?: (i: number) => string) {
  const served: string[] = [];
  for (let i = 0; i < calls; i++) {
    const { report } = await ai.chat(hello, { affinityKey: affinityKey?.(i) });
    served.push(report.deployment!);
  }
  return served;
}

describe('canary', () => {
  test('a 20 % canary failing 30 % of its calls rolls itself back to 0 % within the window, and says why', async () => {
    const ai = await start({ rollback: { minCalls: 20, windowMs: 60_000 } });
    failEvery10(mocks[1]!, 3);
    const changes: CanaryChange[] = [];
    ai.on('canaryChange', (c) => changes.push(c));
    // Every call succeeds for its caller: a failed canary attempt fails over to the stable deployment.
    await serve(ai, 400);
    expect(changes).toEqual([
      expect.objectContaining({
        model: 'chat',
        deployment: 'canary/next',
        action: 'rollback',
        automatic: true,
        reason: 'error_rate',
        percent: 0,
        previousPercent: 20,
        calls: 20,
        errorRate: 0.3,
      }),
    ]);
    const canaryCalls = mocks[1]!.requests.length;
    expect(canaryCalls).toBe(20);
    // Rolled back: no more calls reach the canary.
    await serve(ai, 50);
    expect(mocks[1]!.requests).toHaveLength(canaryCalls);
    expect(ai.health().models[0]!.canary).toEqual(
      expect.objectContaining({
        deployment: 'canary/next',
        percent: 0,
        state: 'rolled-back',
        lastChange: expect.objectContaining({ reason: 'error_rate', errorRate: 0.3, calls: 20 }),
      }),
    );
  });

  test('a slow canary (p99 above the limit) rolls back too', async () => {
    const ai = await start({ percent: 100, rollback: { p99Ms: 50, minCalls: 5 } });
    mocks[1]!.setDefault(fault.ok({ latencyMs: 80 }));
    const changes: CanaryChange[] = [];
    ai.on('canaryChange', (c) => changes.push(c));
    const served = await serve(ai, 8);
    expect(served.slice(0, 5)).toEqual(Array(5).fill('canary/next'));
    expect(served.slice(5)).toEqual(Array(3).fill('stable/m'));
    expect(changes).toEqual([
      expect.objectContaining({ reason: 'latency', action: 'rollback', automatic: true }),
    ]);
  });

  test('a healthy canary keeps its share over many calls', async () => {
    const ai = await start();
    failEvery10(mocks[1]!, 0);
    const changes: CanaryChange[] = [];
    ai.on('canaryChange', (c) => changes.push(c));
    const served = await serve(ai, 600);
    const share = served.filter((d) => d === 'canary/next').length / served.length;
    // 20 % of 600 is 120, standard deviation about 10: a tolerance of 5 points is over 3 of them.
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.25);
    expect(changes).toEqual([]);
    expect(ai.health().models[0]!.canary).toEqual(
      expect.objectContaining({ percent: 20, state: 'active', errorRate: 0 }),
    );
  });

  test('sticky per affinity key: each user stays on one side', async () => {
    const ai = await start({ percent: 30 });
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    const sides = new Map<string, Set<string>>();
    const served = await serve(ai, 300, (i) => users[i % users.length]!);
    served.forEach((deployment, i) => {
      const user = users[i % users.length]!;
      if (!sides.has(user)) sides.set(user, new Set());
      sides.get(user)!.add(deployment);
    });
    for (const seen of sides.values()) expect(seen.size).toBe(1);
    const onCanary = [...sides.values()].filter((seen) => seen.has('canary/next')).length;
    expect(onCanary).toBeGreaterThan(0);
    expect(onCanary).toBeLessThan(users.length);
  });

  test('promote, rollback and setCanaryPercent on the client; each is an event, a metric and in /health', async () => {
    const ai = await start({ percent: 10 }, true);
    const changes: CanaryChange[] = [];
    ai.on('canaryChange', (c) => changes.push(c));
    ai.promote('chat');
    expect(new Set(await serve(ai, 10))).toEqual(new Set(['canary/next']));
    ai.rollback('chat');
    expect(new Set(await serve(ai, 10))).toEqual(new Set(['stable/m']));
    ai.setCanaryPercent('chat', 50);
    expect(ai.health().models[0]!.canary).toEqual(expect.objectContaining({ percent: 50, state: 'active' }));
    expect(changes.map((c) => [c.action, c.percent, c.automatic])).toEqual([
      ['promote', 100, false],
      ['rollback', 0, false],
      ['percent', 50, false],
    ]);
    const text = await ai.metrics!.render();
    expect(text).toContain('ai_canary_percent{model="chat",deployment="canary/next"} 50');
    expect(text).toContain(
      'ai_canary_changes_total{model="chat",deployment="canary/next",action="rollback",reason="manual"} 1',
    );

    expect(() => ai.setCanaryPercent('chat', 101)).toThrow(InvalidRequestError);
    expect(() => ai.promote('nope')).toThrow(UnknownModelError);
  });

  test('a group without a canary refuses the canary methods', async () => {
    mocks = [await MockProvider.start({ name: 'a' })];
    client = new AiClient({
      providers: [{ id: 'a', baseUrl: mocks[0]!.baseUrl }],
      models: { chat: { deployments: [{ provider: 'a', model: 'm' }] } },
    });
    expect(() => client!.rollback('chat')).toThrow('model group "chat" has no canary');
    expect(client.health().models[0]!.canary).toBeUndefined();
  });
});
