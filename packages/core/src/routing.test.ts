import { getEventListeners } from 'node:events';
import { fault } from '@ai-failover/testing';
import { activeResources, type Harness, harness, hello } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('routing through the client', () => {
  test('weighted: traffic splits by weight', async () => {
    h = await harness(['a', 'b'], {
      group: {
        strategy: 'weighted',
        deployments: [
          { provider: 'a', model: 'm', weight: 3 },
          { provider: 'b', model: 'm', weight: 1 },
        ],
      },
    });
    for (let i = 0; i < 400; i++) await h.client.chat(hello);
    const share = h.mocks[0]!.requests.length / 400;
    expect(share).toBeGreaterThan(0.66);
    expect(share).toBeLessThan(0.84);
    expect(h.client.health().models[0]!.weights).toEqual({ 'a/m': 0.75, 'b/m': 0.25 });
  });

  test('consistent-hash: one affinity key always lands on one deployment', async () => {
    h = await harness(['a', 'b', 'c'], { group: { strategy: 'consistent-hash' } });
    const landed = new Map<string, Set<string>>();
    for (let i = 0; i < 90; i++) {
      const user = `user-${i % 9}`;
      const { report } = await h.client.chat(hello, { affinityKey: user });
      if (!landed.has(user)) landed.set(user, new Set());
      landed.get(user)!.add(report.deployment!);
    }
    for (const deployments of landed.values()) expect(deployments.size).toBe(1);
    const used = new Set([...landed.values()].flatMap((s) => [...s]));
    expect(used.size).toBeGreaterThan(1);
  });

  test('least-busy: new calls avoid the deployment with calls in flight', async () => {
    h = await harness(['a', 'b'], { group: { strategy: 'least-busy' } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 300 }));
    h.mocks[1]!.setDefault(fault.ok({ latencyMs: 300 }));
    const calls = Array.from({ length: 6 }, () => h!.client.chat(hello));
    const reports = (await Promise.all(calls)).map((r) => r.report.deployment);
    expect(reports.filter((d) => d === 'a/a-model')).toHaveLength(3);
    expect(reports.filter((d) => d === 'b/b-model')).toHaveLength(3);
  });

  test('round-robin alternates', async () => {
    h = await harness(['a', 'b'], { group: { strategy: 'round-robin' } });
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push((await h.client.chat(hello)).report.provider!);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
  });
});

describe('resources', () => {
  test('no timer, socket or abort listener outlives its requests', async () => {
    // Jest's reporter keeps a debounce timer of its own: let it settle before taking the baseline.
    await new Promise((r) => setTimeout(r, 100));
    const before = activeResources();
    h = await harness(['a', 'b'], { policy: { retries: 1 } });
    const signal = new AbortController().signal;
    h.mocks[0]!.script(fault.status(503), fault.hang(), fault.reset(), fault.resetMidStream(3));
    for (let i = 0; i < 5; i++) await h.client.chat(hello, { signal, timeoutMs: 100 });
    for (let i = 0; i < 3; i++) {
      const stream = await h.client.chatStream(hello, { signal });
      await (async () => {
        for await (const _ of stream) {
          // drain
        }
      })().catch(() => undefined);
      await stream.done;
    }
    const aborting = new AbortController();
    h.mocks[1]!.script(fault.hang());
    h.mocks[0]!.script(fault.hang());
    const pending = h.client.chat(hello, { signal: aborting.signal }).catch(() => undefined);
    await h.mocks[0]!.waitForRequests(h.mocks[0]!.requests.length);
    aborting.abort();
    await pending;
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    expect(getEventListeners(aborting.signal, 'abort')).toHaveLength(0);
    await h.close();
    h = undefined;
    let after = activeResources();
    for (let i = 0; i < 20 && (after.Timeout ?? 0) > (before.Timeout ?? 0); i++) {
      await new Promise((r) => setTimeout(r, 25));
      after = activeResources();
    }
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
    expect(after.TCPServerWrap ?? 0).toBeLessThanOrEqual(before.TCPServerWrap ?? 0);
  });
});
