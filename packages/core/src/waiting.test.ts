import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, AllAttemptsFailedError } from '.';
import { type Harness, harness, hello } from './__tests__/support';
import { DeploymentRuntime } from './engine/runtime';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('rate limits and cooldowns', () => {
  test('429 with Retry-After: 1 is retried on the same deployment after about a second', async () => {
    h = await harness(['a', 'b']);
    h.mocks[0]!.script(fault.rateLimited({ retryAfterSeconds: 1 }), fault.ok());
    const started = Date.now();
    const { report } = await h.client.chat(hello);
    const elapsed = Date.now() - started;
    expect(report.deployment).toBe('a/a-model');
    expect(report.attempts[0]).toMatchObject({
      outcome: 'rate_limited',
      decision: 'retry',
      retryAfterMs: 1000,
    });
    expect(elapsed).toBeGreaterThanOrEqual(990);
    expect(elapsed).toBeLessThan(1500);
    expect(h.mocks[1]!.requests).toHaveLength(0);
  });

  // A timer can fire a moment before the clock reads its end. A clock the test holds still is the
  // extreme case: whatever a wait was for is due when it ends, by the engine's reckoning.
  test('a wait for a Retry-After ends the cooldown it was for, even when the clock lags the timer', async () => {
    const clock = { now: () => 1_000_000 };
    h = await harness(['a', 'b'], { policy: { retries: 1, maxRetryAfterMs: 1000 }, client: { clock } });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterMs: 30 }), fault.ok());
    const { report } = await h.client.chat(hello);
    expect(report.attempts.map((a) => [a.deployment, a.outcome, a.decision])).toEqual([
      ['a/a-model', 'rate_limited', 'retry'],
      ['a/a-model', 'success', 'done'],
    ]);
    expect(h.mocks[1]!.requests).toHaveLength(0);
  });

  test('a wait for the first deployment due back ends its cooldown, even when the clock lags the timer', async () => {
    const clock = { now: () => 1_000_000 };
    h = await harness(['a', 'b'], { policy: { maxRetryAfterMs: 0 }, client: { clock } });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterMs: 30 }), fault.ok());
    h.mocks[1]!.script(fault.rateLimited({ retryAfterSeconds: 30 }));
    const { report } = await h.client.chat(hello, { deadlineMs: 2000 });
    expect(report.attempts.map((a) => [a.deployment, a.outcome, a.decision])).toEqual([
      ['a/a-model', 'rate_limited', 'failover'],
      ['b/b-model', 'rate_limited', 'failover'],
      ['a/a-model', 'success', 'done'],
    ]);
  });

  test('429 with Retry-After: 120 fails over at once', async () => {
    h = await harness(['a', 'b']);
    h.mocks[0]!.script(fault.rateLimited({ retryAfterSeconds: 120 }));
    const started = Date.now();
    const { report } = await h.client.chat(hello);
    expect(Date.now() - started).toBeLessThan(200);
    expect(report.deployment).toBe('b/b-model');
    expect(report.attempts[0]).toMatchObject({
      outcome: 'rate_limited',
      decision: 'failover',
      retryAfterMs: 120_000,
    });
    // Cooling down: the next call goes straight to b.
    await h.client.chat(hello);
    expect(h.mocks[0]!.requests).toHaveLength(1);
  });

  test('every deployment cooling down, the first due back in 300 ms, 2 s deadline: the call waits and succeeds', async () => {
    h = await harness(['a', 'b', 'c'], { policy: { maxRetryAfterMs: 0 } });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterMs: 300 }), fault.ok());
    h.mocks[1]!.script(fault.rateLimited({ retryAfterSeconds: 30 }));
    h.mocks[2]!.script(fault.rateLimited({ retryAfterSeconds: 30 }));
    const started = Date.now();
    const { report } = await h.client.chat(hello, { deadlineMs: 2000 });
    const elapsed = Date.now() - started;
    expect(report.deployment).toBe('a/a-model');
    expect(report.attempts.map((a) => `${a.deployment}:${a.outcome}`)).toEqual([
      'a/a-model:rate_limited',
      'b/b-model:rate_limited',
      'c/c-model:rate_limited',
      'a/a-model:success',
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1000);
  });

  test('when the first one due back is past the deadline, the call fails at once instead of waiting', async () => {
    h = await harness(['a', 'b'], { policy: { maxRetryAfterMs: 0 } });
    h.mocks[0]!.setDefault(fault.rateLimited({ retryAfterSeconds: 30 }));
    h.mocks[1]!.setDefault(fault.rateLimited({ retryAfterSeconds: 30 }));
    const started = Date.now();
    await expect(h.client.chat(hello, { deadlineMs: 2000 })).rejects.toBeInstanceOf(AllAttemptsFailedError);
    expect(Date.now() - started).toBeLessThan(300);
    // Both are now cooling down: a new call makes no attempt at all.
    const error = (await h.client
      .chat(hello, { deadlineMs: 2000 })
      .catch((e: unknown) => e)) as AllAttemptsFailedError;
    expect(error.attempts).toHaveLength(0);
    expect(error.message).toMatch(/cooling down/);
    expect(h.mocks[0]!.requests).toHaveLength(1);
  });

  test('callers waiting for a saturated provider are woken as calls end, not by polling', async () => {
    const mock = await MockProvider.start({ name: 'a', latencyMs: 60 });
    const client = new AiClient({
      providers: [{ id: 'a', baseUrl: mock.baseUrl, maxConcurrent: 1 }],
      models: { chat: { deployments: [{ provider: 'a', model: 'm' }] } },
    });
    h = { mocks: [mock], client, close: () => client.close().then(() => mock.close()) };
    const looks = jest.spyOn(DeploymentRuntime.prototype, 'availableAt');
    try {
      const callers = 20;
      const results = await Promise.all(Array.from({ length: callers }, () => client.chat(hello)));
      expect(results.every((r) => r.report.deployment === 'a/m')).toBe(true);
      // One call at a time reached the provider.
      const requests = mock.requests.sort((x, y) => x.receivedAt - y.receivedAt);
      for (let i = 1; i < requests.length; i++) {
        expect(requests[i]!.receivedAt).toBeGreaterThanOrEqual(requests[i - 1]!.endedAt!);
      }
      // Polling every 10 ms for over a second would look thousands of times; waking, a few per caller.
      expect(looks.mock.calls.length).toBeLessThan(callers * 6);
    } finally {
      looks.mockRestore();
    }
  });
});
