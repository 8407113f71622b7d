import {
  activeResources,
  baselineResources,
  chatBody,
  errorName,
  postJson,
  rawRequest,
  settleResources,
} from './__tests__/client';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

const KINDS = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'] as const;

function pick(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(KINDS.map((kind) => [kind, counts[kind] ?? 0]));
}

describe('close()', () => {
  it('ends hung and stalled requests promptly and leaves no server, socket or timer behind', async () => {
    const baseline = pick(await baselineResources());
    const mock = await MockProvider.start({ name: 'closing' });
    mock.script(
      fault.hang(),
      fault.stall({ afterChunks: 2 }),
      fault.stall({ afterChunks: 1, ms: 60_000 }),
      fault.ok({ latencyMs: 60_000 }),
    );
    const body = (stream: boolean): string => JSON.stringify(chatBody({ stream }));
    const url = `${mock.baseUrl}/chat/completions`;
    const clients = [
      rawRequest(url, { body: body(false) }),
      rawRequest(url, { body: body(true) }),
      rawRequest(url, { body: body(true) }),
      rawRequest(url, { body: body(false) }),
    ];
    await mock.waitForRequests(4);
    const waiting = mock.waitForRequests(10, 60_000).catch((error: unknown) => error);
    const during = pick(activeResources());
    expect(during.TCPServerWrap).toBe(baseline.TCPServerWrap! + 1);
    expect(during.Timeout).toBeGreaterThan(baseline.Timeout!);

    const start = Date.now();
    await mock.close();
    expect(Date.now() - start).toBeLessThan(200);
    const afterClose = pick(activeResources());
    expect(afterClose.TCPServerWrap).toBe(baseline.TCPServerWrap);

    const results = await Promise.all(clients.map((client) => client.done));
    for (const result of results) expect(result.error).toBeDefined();
    expect(results[1]!.status).toBe(200);
    expect(results[1]!.body.split('\n\n').filter(Boolean)).toHaveLength(2);
    expect(errorName(await waiting)).toBe('Error');

    const settled = pick(await settleResources(baseline, KINDS));
    for (const kind of KINDS) expect(settled[kind]).toBeLessThanOrEqual(baseline[kind]!);
    expect(mock.requests.map((r) => r.aborted)).toEqual([false, false, false, false]);
    expect(mock.requests.every((r) => r.endedAt !== undefined)).toBe(true);
  });

  it('is idempotent and also closes idle keep-alive connections', async () => {
    const baseline = pick(await baselineResources());
    const mock = await MockProvider.start();
    await (await postJson(`${mock.baseUrl}/chat/completions`, chatBody())).json();
    expect(pick(activeResources()).TCPSocketWrap).toBeGreaterThan(baseline.TCPSocketWrap!);
    await Promise.all([mock.close(), mock.close()]);
    await mock.close();
    expect(pick(activeResources()).TCPServerWrap).toBe(baseline.TCPServerWrap);
    const settled = pick(await settleResources(baseline, ['TCPServerWrap', 'TCPSocketWrap']));
    expect(settled.TCPSocketWrap).toBeLessThanOrEqual(baseline.TCPSocketWrap!);
    await expect(fetch(`${mock.baseUrl}/models`)).rejects.toMatchObject({ name: 'TypeError' });
  });
});
