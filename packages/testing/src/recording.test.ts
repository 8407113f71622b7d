import {
  activeResources,
  baselineResources,
  chatBody,
  delay,
  postJson,
  rawRequest,
  settleResources,
} from './__tests__/client';
import { type ErrorJson, readJson } from './__tests__/shapes';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

describe('request recording', () => {
  let mock: MockProvider;
  let url: string;

  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'rec' });
    url = `${mock.baseUrl}/chat/completions`;
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  it('records method, path, headers, body, apiKey, model, stream, status, fault and timing', async () => {
    const before = Date.now();
    await (
      await postJson(`${url}?trace=1`, chatBody({ stream: true }), {
        headers: { authorization: 'Bearer sk-abc', 'X-Trace-Id': 'trace-42' },
      })
    ).text();
    const [req] = mock.requests;
    expect(req).toMatchObject({
      id: 1,
      method: 'POST',
      path: '/v1/chat/completions',
      body: chatBody({ stream: true }),
      apiKey: 'sk-abc',
      model: 'gpt-test',
      stream: true,
      status: 200,
      fault: 'ok',
      aborted: false,
    });
    expect(req!.headers['x-trace-id']).toBe('trace-42');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.receivedAt).toBeGreaterThanOrEqual(before);
    expect(req!.endedAt).toBeGreaterThanOrEqual(req!.receivedAt);
  });

  it('records a GET without a body and without a key', async () => {
    await (await fetch(`${mock.baseUrl}/models`)).text();
    expect(mock.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      body: undefined,
      stream: false,
    });
    expect(mock.requests[0]!.apiKey).toBeUndefined();
  });

  it('waitForRequests(n) resolves once n requests arrived, including ones still in progress', async () => {
    mock.script(fault.hang(), fault.hang());
    const waiting = mock.waitForRequests(2);
    const controller = new AbortController();
    const calls = [1, 2].map(() =>
      postJson(url, chatBody(), { signal: controller.signal }).catch(() => undefined),
    );
    const requests = await waiting;
    expect(requests.map((r) => r.fault)).toEqual(['hang', 'hang']);
    controller.abort();
    await Promise.all(calls);
  });

  it('waitForRequests rejects after its timeout', async () => {
    await expect(mock.waitForRequests(1, 30)).rejects.toThrow(
      /Timed out after 30 ms: expected 1 requests to rec, received 0/,
    );
  });

  it('waitForAbort returns each aborted request once, in order, even when it happened before the call', async () => {
    mock.script(fault.hang(), fault.ok({ latencyMs: 5000 }));
    const first = new AbortController();
    const second = new AbortController();
    const a = postJson(url, chatBody({ model: 'first' }), { signal: first.signal }).catch(() => undefined);
    await mock.waitForRequests(1);
    const b = postJson(url, chatBody({ model: 'second' }), { signal: second.signal }).catch(() => undefined);
    await mock.waitForRequests(2);
    first.abort();
    await a;
    await delay(20);
    expect((await mock.waitForAbort()).model).toBe('first');
    const next = mock.waitForAbort();
    second.abort();
    expect(await next).toMatchObject({ model: 'second', aborted: true, fault: 'ok' });
    await b;
    await expect(mock.waitForAbort(20)).rejects.toThrow(/no request to rec was aborted/);
    expect(mock.requests.map((r) => r.aborted)).toEqual([true, true]);
  });

  it('records a client that leaves while sending its body as aborted', async () => {
    mock.script(fault.status(503));
    const { req, done } = rawRequest(url, { headers: { 'content-length': '100' }, keepOpen: true });
    req.write('{"model": "half');
    await delay(30);
    req.destroy();
    await done;
    expect(await mock.waitForAbort(1000)).toMatchObject({ aborted: true, fault: 'none', body: undefined });
    expect((await postJson(url, chatBody())).status).toBe(503);
  });

  it('answers a 500 when the handler throws', async () => {
    mock.handle(() => {
      throw new Error('handler bug');
    });
    const res = await postJson(url, chatBody());
    expect(res.status).toBe(500);
    expect((await readJson<ErrorJson>(res)).error.message).toMatch(/handler bug/);
  });

  it('does not mark completed requests as aborted', async () => {
    await (await postJson(url, chatBody())).json();
    await delay(10);
    expect(mock.requests[0]).toMatchObject({ aborted: false, status: 200 });
  });

  it('cancels the pending timers of a request when its client aborts', async () => {
    const baseline = await baselineResources();
    mock.script(fault.ok({ latencyMs: 10_000 }));
    const { req, done } = rawRequest(url, { body: JSON.stringify(chatBody()) });
    await mock.waitForRequests(1);
    expect(activeResources().Timeout ?? 0).toBeGreaterThan(baseline.Timeout ?? 0);
    req.destroy();
    await done;
    const aborted = await mock.waitForAbort(1000);
    expect(aborted.aborted).toBe(true);
    const after = await settleResources(baseline, ['Timeout', 'TCPSocketWrap']);
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(baseline.Timeout ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(baseline.TCPSocketWrap ?? 0);
  });
});

test('maxRecords keeps only the newest requests', async () => {
  const mock = await MockProvider.start({ name: 'bounded', maxRecords: 2 });
  try {
    for (let i = 0; i < 3; i++) {
      await fetch(`${mock.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: `m${i}`, messages: [{ role: 'user', content: 'x' }] }),
      }).then((r) => r.text());
    }
    expect(mock.requests.map((r) => r.model)).toEqual(['m1', 'm2']);
  } finally {
    await mock.close();
  }
});
