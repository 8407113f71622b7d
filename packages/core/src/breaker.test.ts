import { fault } from '@ai-failover/testing';
import { sleep } from '@ai-failover/testing/support';
import { AbortError, UpstreamError } from '.';
import { type Harness, harness, hello, ManualClock, nextBreakerEvent } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const A = 'a/a-model';
const breakerOf = (h: Harness, id = A) => h.client.health().deployments.find((d) => d.id === id)?.breaker;
const windowOnly = { consecutiveFailures: 0, resetTimeoutMs: 60_000 };

describe('what the breaker counts', () => {
  test('caller 400s count as nothing: 10 of them, then 10 upstream 503s open the breaker', async () => {
    h = await harness(['a'], {
      policy: { retries: 0, breaker: { ...windowOnly, errorThresholdPercentage: 60, volumeThreshold: 5 } },
    });
    h.mocks[0]!.setDefault(fault.badRequest('bad temperature'));
    for (let i = 0; i < 10; i++) await expect(h.client.chat(hello)).rejects.toBeInstanceOf(UpstreamError);
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 10; i++) await h.client.chat(hello).catch(() => undefined);
    expect(breakerOf(h)).toBe('open');
  });

  test('aborted calls count as nothing either', async () => {
    h = await harness(['a'], {
      policy: { retries: 0, breaker: { ...windowOnly, errorThresholdPercentage: 60, volumeThreshold: 5 } },
    });
    h.mocks[0]!.setDefault(fault.hang());
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const call = h.client.chat(hello, { signal: controller.signal });
      await h.mocks[0]!.waitForRequests(i + 1);
      controller.abort();
      await expect(call).rejects.toBeInstanceOf(AbortError);
    }
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 10; i++) await h.client.chat(hello).catch(() => undefined);
    expect(breakerOf(h)).toBe('open');
  });

  test('successes do count: 10 of them, then 10 failures leave a 60 % breaker closed', async () => {
    h = await harness(['a'], {
      policy: { retries: 0, breaker: { ...windowOnly, errorThresholdPercentage: 60, volumeThreshold: 5 } },
    });
    for (let i = 0; i < 10; i++) await h.client.chat(hello);
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 10; i++) await h.client.chat(hello).catch(() => undefined);
    expect(breakerOf(h)).toBe('closed');
  });

  test('failures leave the rolling window as it moves on', async () => {
    const clock = new ManualClock();
    h = await harness(['a'], {
      policy: { retries: 0, breaker: { ...windowOnly, volumeThreshold: 4, rollingWindowMs: 1000 } },
      client: { clock },
    });
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 3; i++) await h.client.chat(hello).catch(() => undefined);
    clock.advance(1000);
    await h.client.chat(hello).catch(() => undefined);
    expect(breakerOf(h)).toBe('closed'); // one failure in the window: under the volume threshold
    for (let i = 0; i < 3; i++) await h.client.chat(hello).catch(() => undefined);
    expect(breakerOf(h)).toBe('open');
  });
});

describe('the half-open probe', () => {
  /** Real time: opossum's reset timer turns the breaker half-open. */
  const resetTimeoutMs = 200;

  /** Opens a/a-model's breaker; gives when it opened, and a promise of when it turns half-open. */
  async function openBreaker(): Promise<{ openedAt: number; halfOpen: Promise<number> }> {
    h = await harness(['a', 'b'], {
      policy: { retries: 0, breaker: { volumeThreshold: 1, resetTimeoutMs } },
    });
    const opened = nextBreakerEvent(h.client, 'breakerOpen');
    h.mocks[0]!.setDefault(fault.status(503));
    await h.client.chat(hello);
    expect(breakerOf(h)).toBe('open');
    const openedAt = await opened;
    return { openedAt, halfOpen: nextBreakerEvent(h.client, 'breakerHalfOpen') };
  }

  test('opens for resetTimeoutMs, then lets one call through; its success closes the breaker', async () => {
    const { openedAt, halfOpen } = await openBreaker();
    expect((await h!.client.chat(hello)).report.deployment).toBe('b/b-model');
    expect(h!.mocks[0]!.requests).toHaveLength(1);
    expect((await halfOpen) - openedAt).toBeGreaterThanOrEqual(resetTimeoutMs - 2); // timers may fire a hair early
    expect(breakerOf(h!)).toBe('half-open');
    h!.mocks[0]!.setDefault(fault.ok());
    expect((await h!.client.chat(hello)).report.deployment).toBe(A);
    expect(breakerOf(h!)).toBe('closed');
  });

  test('a failed probe opens it for another period', async () => {
    await (await openBreaker()).halfOpen;
    const reopened = nextBreakerEvent(h!.client, 'breakerOpen');
    const { report } = await h!.client.chat(hello);
    expect(report.attempts.map((a) => `${a.deployment}:${a.outcome}`)).toEqual([
      'a/a-model:server_error',
      'b/b-model:success',
    ]);
    expect(breakerOf(h!)).toBe('open');
    const reopenedAt = await reopened;
    const again = await nextBreakerEvent(h!.client, 'breakerHalfOpen');
    expect(again - reopenedAt).toBeGreaterThanOrEqual(resetTimeoutMs - 2);
  });

  test('a probe answered with a caller’s 400 leaves the breaker to the next probe', async () => {
    await (await openBreaker()).halfOpen;
    h!.mocks[0]!.setDefault(fault.badRequest());
    await expect(h!.client.chat(hello)).rejects.toBeInstanceOf(UpstreamError);
    expect(breakerOf(h!)).toBe('half-open');
    h!.mocks[0]!.setDefault(fault.status(503));
    await h!.client.chat(hello);
    expect(breakerOf(h!)).toBe('open');
  });

  test('an aborted probe leaves the breaker to the next probe', async () => {
    await (await openBreaker()).halfOpen;
    h!.mocks[0]!.setDefault(fault.hang());
    const controller = new AbortController();
    const call = h!.client.chat(hello, { signal: controller.signal });
    await h!.mocks[0]!.waitForRequests(2);
    expect(breakerOf(h!)).toBe('half-open');
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    h!.mocks[0]!.setDefault(fault.ok());
    expect((await h!.client.chat(hello)).report.deployment).toBe(A);
    expect(breakerOf(h!)).toBe('closed');
  });

  test('only one probe at a time: a second call meanwhile goes elsewhere', async () => {
    await (await openBreaker()).halfOpen;
    h!.mocks[0]!.setDefault(fault.ok({ latencyMs: 200 }));
    const probe = h!.client.chat(hello);
    await h!.mocks[0]!.waitForRequests(2);
    expect((await h!.client.chat(hello)).report.deployment).toBe('b/b-model');
    expect((await probe).report.deployment).toBe(A);
    expect(h!.mocks[0]!.requests).toHaveLength(2);
  });
});

test('close() shuts the breakers down: an open one keeps its state and no reset timer runs on', async () => {
  h = await harness(['a', 'b'], {
    policy: { retries: 0, breaker: { volumeThreshold: 1, resetTimeoutMs: 50 } },
  });
  h.mocks[0]!.setDefault(fault.status(503));
  await h.client.chat(hello);
  expect(breakerOf(h)).toBe('open');
  await h.client.close();
  await sleep(100);
  expect(breakerOf(h)).toBe('open'); // without shutdown() its timer would have turned it half-open
});

test('a retry waits its backoff: a full jitter draw waits the whole step', async () => {
  h = await harness(['a'], {
    policy: { retries: 1, backoff: { baseMs: 150, maxMs: 1000 } },
    client: { random: () => 0.999 },
  });
  h.mocks[0]!.script(fault.status(503), fault.ok());
  const { report } = await h.client.chat(hello);
  expect(report.attempts.map((a) => a.decision)).toEqual(['retry', 'done']);
  const [first, second] = h.mocks[0]!.requests;
  // 149 ms of backoff between the end of the first attempt and the start of the second.
  expect(second!.receivedAt - first!.endedAt!).toBeGreaterThanOrEqual(140);
});
