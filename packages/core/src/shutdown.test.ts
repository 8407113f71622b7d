/**
 * `close({ drainMs })`: readiness answers 503 at once and new calls are refused; calls in flight
 * start nothing new and get `drainMs` to finish, then are aborted with `ClientClosedError`.
 */
import { fault } from '@ai-failover/testing';
import { ClientClosedError } from '.';
import { activeResources, type Harness, harness, hello } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('close({ drainMs })', () => {
  test('readiness is 503 at once, new calls are refused, a call that finishes in time succeeds', async () => {
    h = await harness(['a'], { mock: { latencyMs: 150 } });
    const inFlight = h.client.chat(hello);
    await h.mocks[0]!.waitForRequests(1);
    const closed = h.client.close({ drainMs: 5000 });
    expect(h.client.readiness().httpStatus).toBe(503);
    expect(h.client.liveness()).toMatchObject({ status: 'closing', httpStatus: 200 });
    await expect(h.client.chat(hello)).rejects.toBeInstanceOf(ClientClosedError);
    expect((await inFlight).report.deployment).toBe('a/a-model');
    await closed;
  });

  test('a hung call is aborted after drainMs with ClientClosedError', async () => {
    h = await harness(['a']);
    h.mocks[0]!.setDefault(fault.hang());
    const before = activeResources();
    const call = h.client.chat(hello).catch((error: unknown) => error);
    await h.mocks[0]!.waitForRequests(1);
    const started = Date.now();
    await h.client.close({ drainMs: 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await call).toBeInstanceOf(ClientClosedError);
    expect((await h.mocks[0]!.waitForAbort(1000)).aborted).toBe(true);
    // No timer of the call is left (others of the test runner come and go: wait for them to settle).
    for (let i = 0; i < 100 && (activeResources().Timeout ?? 0) > (before.Timeout ?? 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(activeResources().Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
  });

  test('a call whose attempt fails after close() ends with ClientClosedError, without a retry or failover', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 3, deadlineMs: 20_000 } });
    h.mocks[0]!.setDefault(fault.status(503, { latencyMs: 150 }));
    const call = h.client.chat(hello).catch((error: unknown) => error);
    await h.mocks[0]!.waitForRequests(1);
    const closed = h.client.close({ drainMs: 10_000 });
    expect(await call).toBeInstanceOf(ClientClosedError);
    expect(h.mocks[0]!.requests).toHaveLength(1);
    expect(h.mocks[1]!.requests).toHaveLength(0);
    await closed;
  });

  test('a call waiting out a Retry-After ends at once with ClientClosedError', async () => {
    h = await harness(['a'], { policy: { retries: 2, maxRetryAfterMs: 5000 } });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterSeconds: 4 }));
    const call = h.client.chat(hello).catch((error: unknown) => error);
    await h.mocks[0]!.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await h.client.close({ drainMs: 10_000 });
    expect(await call).toBeInstanceOf(ClientClosedError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(h.mocks[0]!.requests).toHaveLength(1);
  });

  test('a stream past its first token gets drainMs, then ends with ClientClosedError', async () => {
    const content = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ');
    h = await harness(['a'], { mock: { content, chunkDelayMs: 50 } });
    const stream = await h.client.chatStream(hello);
    const read = (async () => {
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return text;
    })().catch((error: unknown) => error);
    await h.client.close({ drainMs: 300 });
    expect(await read).toBeInstanceOf(ClientClosedError);
    expect((await stream.done).deployment).toBe('a/a-model');
    expect(h.client.health().deployments[0]!.consecutiveFailures).toBe(0);
  });

  test('a stream that keeps sending content-less events before its first token is aborted after drainMs', async () => {
    h = await harness(['a'], {
      config: { limits: { preTokenBytes: '1gb' } },
      policy: { stream: { firstTokenTimeoutMs: 60_000 } },
    });
    h.mocks[0]!.setDefault(fault.flood('emptyEvents', { bytes: 512 * 1024 * 1024 }));
    const opening = h.client.chatStream(hello).catch((error: unknown) => error);
    await h.mocks[0]!.waitForRequests(1);
    const started = Date.now();
    await h.client.close({ drainMs: 200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await opening).toBeInstanceOf(ClientClosedError);
  });

  test('a later close() with a shorter drainMs brings the abort forward; drainMs is checked', async () => {
    h = await harness(['a']);
    h.mocks[0]!.setDefault(fault.hang());
    const call = h.client.chat(hello).catch((error: unknown) => error);
    await h.mocks[0]!.waitForRequests(1);
    const first = h.client.close({ drainMs: 60_000 });
    await expect(h.client.close({ drainMs: -1 })).rejects.toMatchObject({ field: 'drainMs' });
    const second = h.client.close({ drainMs: 0 });
    expect(second).toBe(first);
    await second;
    expect(await call).toBeInstanceOf(ClientClosedError);
  });
});
