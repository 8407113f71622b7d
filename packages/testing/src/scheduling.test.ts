import { chatBody, delay, postJson } from './__tests__/client';
import { type ErrorJson, readJson } from './__tests__/shapes';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

describe('choosing the fault of each request', () => {
  let mock: MockProvider;
  let url: string;
  const status = async (): Promise<number> => (await postJson(url, chatBody())).status;

  beforeAll(async () => {
    mock = await MockProvider.start();
    url = `${mock.baseUrl}/chat/completions`;
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  it('applies scripted faults one per request, in order, then the default', async () => {
    mock.script(fault.status(503), fault.status(500)).script(fault.rateLimited());
    expect([await status(), await status(), await status(), await status()]).toEqual([503, 500, 429, 200]);
    mock.setDefault(fault.status(502));
    expect([await status(), await status()]).toEqual([502, 502]);
    mock.script(fault.ok());
    expect([await status(), await status()]).toEqual([200, 502]);
  });

  it('runs a schedule: healthy for N requests, failing for M ms, then healthy for good', async () => {
    mock.setDefault(fault.status(500));
    mock.schedule([
      { fault: fault.ok(), requests: 3 },
      { fault: fault.status(503), forMs: 1000 },
      { fault: fault.ok() },
    ]);
    expect([await status(), await status(), await status()]).toEqual([200, 200, 200]);
    // The failing phase starts with the 4th request; a wide window keeps both inside it on a busy machine.
    const failingSince = Date.now();
    expect([await status(), await status()]).toEqual([503, 503]);
    await delay(1000 - (Date.now() - failingSince) + 10);
    expect([await status(), await status(), await status()]).toEqual([200, 200, 200]);
  });

  it('lets scripted faults take precedence over the schedule', async () => {
    mock.schedule([{ fault: fault.status(503) }]);
    mock.script(fault.ok());
    expect([await status(), await status()]).toEqual([200, 503]);
    mock.schedule(null);
    expect(await status()).toBe(200);
  });

  it('a time phase counts from when the schedule is set', async () => {
    mock.schedule([
      { fault: fault.status(503), forMs: 60 },
      { fault: fault.ok(), requests: 1 },
      { fault: fault.status(500) },
    ]);
    expect(await status()).toBe(503);
    await delay(70);
    expect([await status(), await status(), await status()]).toEqual([200, 500, 500]);
  });

  it('rate limits to K requests per window with Retry-After, then recovers', async () => {
    mock.rateLimit({ limit: 3, windowMs: 200 });
    const responses = await Promise.all([1, 2, 3, 4, 5].map(() => postJson(url, chatBody())));
    expect(responses.map((res) => res.status).sort()).toEqual([200, 200, 200, 429, 429]);
    const limited = responses.find((res) => res.status === 429)!;
    expect(limited.headers.get('retry-after')).toBe('1');
    const retryMs = Number(limited.headers.get('retry-after-ms'));
    expect(retryMs).toBeGreaterThan(0);
    expect(retryMs).toBeLessThanOrEqual(200);
    expect((await readJson<ErrorJson>(limited)).error.code).toBe('rate_limit_exceeded');
    expect(mock.requests.filter((r) => r.fault === 'rateLimited')).toHaveLength(2);
    await delay(retryMs + 10);
    expect(await status()).toBe(200);
  });

  it('sends a fixed Retry-After when configured, and rateLimit(null) turns limiting off', async () => {
    mock.rateLimit({ limit: 1, windowMs: 10_000, retryAfterSeconds: 30 });
    expect(await status()).toBe(200);
    const res = await postJson(url, chatBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('30');
    expect(res.headers.get('retry-after-ms')).toBeNull();
    mock.rateLimit(null);
    expect(await status()).toBe(200);
  });

  it('with headers: every answer tells the window state as OpenAI does', async () => {
    mock.rateLimit({ limit: 2, windowMs: 1000, headers: true });
    const first = await postJson(url, chatBody());
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const second = await postJson(url, chatBody());
    expect(second.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const reset = Number(/^(\d+)ms$/.exec(second.headers.get('x-ratelimit-reset-requests') ?? '')?.[1]);
    expect(reset).toBeGreaterThan(900);
    expect(reset).toBeLessThanOrEqual(1000);
    const third = await postJson(url, chatBody());
    expect(third.status).toBe(429);
    expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    mock.rateLimit({ limit: 2, windowMs: 1000 });
    expect((await postJson(url, chatBody())).headers.get('x-ratelimit-remaining-requests')).toBeNull();
  });

  it('does not consume scripted faults on rate-limited requests', async () => {
    mock.rateLimit({ limit: 1, windowMs: 10_000 });
    mock.script(fault.status(503));
    expect([await status(), await status()]).toEqual([503, 429]);
    mock.rateLimit(null);
    mock.script(fault.status(500));
    expect(await status()).toBe(500);
  });

  it('consults the handler first and falls through when it returns undefined', async () => {
    mock.script(fault.status(500), fault.status(500));
    mock.handle((req) => (req.model === 'broken-model' ? fault.status(503) : undefined));
    expect((await postJson(url, chatBody({ model: 'broken-model' }))).status).toBe(503);
    expect(await status()).toBe(500);
    expect((await postJson(url, chatBody({ model: 'broken-model' }))).status).toBe(503);
    expect(await status()).toBe(500);
    expect(await status()).toBe(200);
  });

  it('reset() clears the queue, schedule, rate limit, handler, requests and default', async () => {
    mock.script(fault.status(500));
    mock.setDefault(fault.status(502));
    mock.schedule([{ fault: fault.status(503) }]);
    mock.rateLimit({ limit: 0, windowMs: 1000 });
    mock.handle(() => fault.status(504));
    expect(await status()).toBe(504);
    mock.reset();
    expect(mock.requests).toEqual([]);
    expect([await status(), await status()]).toEqual([200, 200]);
    expect(mock.requests).toHaveLength(2);
  });
});
