import { request as httpRequest, type IncomingMessage } from 'node:http';
import { fault, listen, MockProvider } from '@ai-failover/testing';
import {
  AiClient,
  type AiFailoverConfig,
  AllAttemptsFailedError,
  type DeploymentConfig,
  type ProviderConfig,
  RateLimitedError,
} from '.';
import { hello } from './__tests__/support';
import { createAiHttpHandler } from './http';

let mocks: MockProvider[] = [];
let client: AiClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await Promise.all(mocks.map((m) => m.close()));
  mocks = [];
});

async function start(
  names: string[],
  shape: {
    provider?: (name: string) => Partial<ProviderConfig>;
    deployment?: (name: string) => Partial<DeploymentConfig>;
    config?: Partial<AiFailoverConfig>;
  } = {},
): Promise<AiClient> {
  mocks = await Promise.all(names.map((name) => MockProvider.start({ name })));
  client = new AiClient({
    providers: mocks.map((m, i) => ({
      id: names[i]!,
      baseUrl: m.baseUrl,
      apiKey: `key-${names[i]}-0001`,
      ...shape.provider?.(names[i]!),
    })),
    models: {
      chat: {
        deployments: names.map((name) => ({
          provider: name,
          model: 'm',
          ...shape.deployment?.(name),
        })),
      },
    },
    policy: { retries: 0 },
    ...shape.config,
  });
  return client;
}

const rateLimited = (mock: MockProvider) => mock.requests.filter((r) => r.status === 429).length;

describe('client-side rate limits', () => {
  test('a deployment limited to 10 rpm before a provider that allows 10 a minute: the 11th call goes to the secondary, no 429 is ever seen', async () => {
    const ai = await start(['primary', 'secondary'], {
      deployment: (name) => (name === 'primary' ? { rateLimit: { rpm: 10 } } : {}),
    });
    mocks[0]!.rateLimit({ limit: 10, windowMs: 60_000 });
    const served: string[] = [];
    for (let i = 0; i < 11; i++) {
      const { report } = await ai.chat(hello);
      served.push(report.deployment!);
      expect(report.attempts).toHaveLength(1);
    }
    expect(served.slice(0, 10)).toEqual(Array(10).fill('primary/m'));
    expect(served[10]).toBe('secondary/m');
    expect(mocks[0]!.requests).toHaveLength(10);
    expect(rateLimited(mocks[0]!)).toBe(0);
    const primary = ai.health().deployments.find((d) => d.id === 'primary/m')!;
    expect(primary.rateLimit).toEqual({
      limits: [{ scope: 'deployment:primary/m', rpm: 10, tpm: null, requests: 10, tokens: 0 }],
      learned: [],
      limitedUntil: expect.any(String),
    });
  });

  test('without the client-side limit the same provider answers the 11th call with a 429', async () => {
    const ai = await start(['primary', 'secondary']);
    mocks[0]!.rateLimit({ limit: 10, windowMs: 60_000 });
    for (let i = 0; i < 11; i++) await ai.chat(hello);
    expect(rateLimited(mocks[0]!)).toBe(1);
  });

  test('a provider limit covers every deployment of the provider; per-key limits move to the next key', async () => {
    mocks = await Promise.all(['a', 'b'].map((name) => MockProvider.start({ name })));
    client = new AiClient({
      providers: [
        {
          id: 'a',
          baseUrl: mocks[0]!.baseUrl,
          apiKey: ['key-a-one-111', 'key-a-two-222'],
          rateLimit: { rpm: 5, perKey: { rpm: 2 } },
        },
        { id: 'b', baseUrl: mocks[1]!.baseUrl },
      ],
      models: {
        chat: {
          deployments: [
            { provider: 'a', model: 'x' },
            { provider: 'b', model: 'm' },
          ],
        },
        other: {
          deployments: [
            { provider: 'a', model: 'y' },
            { provider: 'b', model: 'm' },
          ],
        },
      },
    });
    const served: string[] = [];
    for (let i = 0; i < 3; i++) served.push((await client.chat(hello)).report.deployment!);
    for (let i = 0; i < 3; i++)
      served.push((await client.chat(hello, { model: 'other' })).report.deployment!);
    // Two calls per key: four in all on provider a; then both keys are out.
    expect(served).toEqual(['a/x', 'a/x', 'a/x', 'a/y', 'b/m', 'b/m']);
    expect(mocks[0]!.requests.map((r) => r.apiKey)).toEqual([
      'key-a-one-111',
      'key-a-two-222',
      'key-a-one-111',
      'key-a-two-222',
    ]);
  });

  test('every candidate out of budget, none back within maxWaitMs: a RateLimitedError at once, 429 with Retry-After over HTTP', async () => {
    const ai = await start(['a', 'b'], { deployment: () => ({ rateLimit: { rpm: 1 } }) });
    await ai.chat(hello);
    await ai.chat(hello);
    const started = Date.now();
    const error = await ai.chat(hello).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'AI_RATE_LIMITED', status: 429, attempts: [] });
    expect(Number((error as RateLimitedError).headers['retry-after'])).toBeGreaterThanOrEqual(60);
    const retryAfterMs = (error as RateLimitedError).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(59_000);
    expect(retryAfterMs).toBeLessThanOrEqual(61_000);
    expect(mocks.map((m) => m.requests.length)).toEqual([1, 1]);

    const http = createAiHttpHandler({ client: ai, openai: { authorize: () => true } });
    const app = await listen((req, res) => void http.handle(req, res));
    try {
      const res = await post(`${app.base}/v1/chat/completions`, { model: 'chat', ...hello });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(60);
      expect(JSON.parse(res.body).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    } finally {
      await app.close();
      await http.close();
    }
    expect(mocks.map((m) => m.requests.length)).toEqual([1, 1]);
  });

  test('candidates held back by a rate limit and by an open breaker: a 503 at once, Retry-After from the first due back', async () => {
    const ai = await start(['a', 'b'], {
      deployment: (name) => (name === 'a' ? { rateLimit: { rpm: 1 } } : {}),
      config: { policy: { retries: 0, breaker: { consecutiveFailures: 1, resetTimeoutMs: 20_000 } } },
    });
    mocks[1]!.setDefault(fault.status(503));
    expect((await ai.chat(hello)).report.deployment).toBe('a/m');
    // a is out of budget; b fails and its breaker opens. What is left for this call is a rate limit.
    await expect(ai.chat(hello)).rejects.toBeInstanceOf(RateLimitedError);
    const started = Date.now();
    const error = await ai.chat(hello).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    // Not only rate limits hold the candidates back now: a 503, due back when b's breaker lets a call through.
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect(error).toMatchObject({ status: 503, attempts: [] });
    const retryAfter = Number((error as AllAttemptsFailedError).headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(19);
    expect(retryAfter).toBeLessThanOrEqual(20);
    expect(mocks.map((m) => m.requests.length)).toEqual([1, 1]);
  });

  test('a hedge never goes to a deployment out of budget: nothing is sent there, the slow primary answers', async () => {
    const ai = await start(['a', 'b'], {
      deployment: (name) => (name === 'b' ? { rateLimit: { rpm: 1 } } : {}),
    });
    mocks[0]!.setDefault(fault.ok({ latencyMs: 300 }));
    const first = await ai.chat(hello, { hedge: { afterMs: 50 } });
    expect(first.report).toMatchObject({ deployment: 'b/m', hedges: 1 });
    const second = await ai.chat(hello, { hedge: { afterMs: 50 } });
    expect(second.report.deployment).toBe('a/m');
    expect(second.report.attempts.map((a) => `${a.deployment}:${a.decision}`)).toEqual(['a/m:done']);
    expect(second.report.hedges).toBeUndefined();
    expect(mocks[1]!.requests).toHaveLength(1);
  });

  test('tokens per minute: the estimate is charged before sending and corrected from usage after', async () => {
    const ai = await start(['a', 'b'], {
      deployment: (name) => (name === 'a' ? { rateLimit: { tpm: 100 } } : {}),
    });
    // The mock counts 3 prompt tokens for "hello there" and 3 for its answer "Hello from a".
    const { report } = await ai.chat(hello);
    expect(report.usage?.total_tokens).toBe(6);
    const limits = () => ai.health().deployments.find((d) => d.id === 'a/m')!.rateLimit!.limits[0]!;
    expect(limits()).toMatchObject({ scope: 'deployment:a/m', tpm: 100, requests: 1, tokens: 6 });
    // A request that asks for up to 200 output tokens does not fit in what is left.
    const big = await ai.chat({ ...hello, max_tokens: 200 });
    expect(big.report.deployment).toBe('b/m');
    expect(mocks[0]!.requests).toHaveLength(1);
    // Small ones still fit.
    expect((await ai.chat(hello)).report.deployment).toBe('a/m');
    expect(limits()).toMatchObject({ requests: 2, tokens: 12 });
  });

  test('a failed attempt gives its tokens back but still counts as a request', async () => {
    const ai = await start(['a', 'b'], {
      deployment: (name) => (name === 'a' ? { rateLimit: { rpm: 5, tpm: 1000 } } : {}),
    });
    mocks[0]!.script(fault.status(503));
    expect((await ai.chat(hello)).report.deployment).toBe('b/m');
    expect(ai.health().deployments.find((d) => d.id === 'a/m')!.rateLimit!.limits[0]).toMatchObject({
      requests: 1,
      tokens: 0,
    });
  });
});

describe('limits learned from x-ratelimit headers', () => {
  test('remaining requests at 0 stop traffic to that deployment until the reset', async () => {
    const ai = await start(['primary', 'secondary']);
    mocks[0]!.rateLimit({ limit: 3, windowMs: 800, headers: true });
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await ai.chat(hello)).report.deployment);
    expect(first).toEqual(['primary/m', 'primary/m', 'primary/m', 'secondary/m', 'secondary/m']);
    expect(mocks[0]!.requests).toHaveLength(3);
    expect(rateLimited(mocks[0]!)).toBe(0);
    const learned = ai.health().deployments.find((d) => d.id === 'primary/m')!.rateLimit!.learned;
    expect(learned).toEqual([
      { key: 0, requests: { limit: 3, remaining: 0, resetAt: expect.any(String) }, tokens: null },
    ]);
    // After the reset the primary takes calls again.
    await new Promise((r) => setTimeout(r, 850));
    expect((await ai.chat(hello)).report.deployment).toBe('primary/m');
    expect(rateLimited(mocks[0]!)).toBe(0);
  });

  test('every candidate out until a reset due within maxWaitMs: the call waits for it', async () => {
    const ai = await start(['only'], { config: { policy: { retries: 0, maxWaitMs: 2000 } } });
    mocks[0]!.rateLimit({ limit: 1, windowMs: 400, headers: true });
    await ai.chat(hello);
    const started = Date.now();
    const { report } = await ai.chat(hello);
    const waited = Date.now() - started;
    expect(report.deployment).toBe('only/m');
    expect(waited).toBeGreaterThanOrEqual(300);
    expect(waited).toBeLessThan(1500);
    expect(rateLimited(mocks[0]!)).toBe(0);
  });

  test('learnRateLimits: false ignores the headers', async () => {
    const ai = await start(['primary', 'secondary'], {
      config: { policy: { retries: 0, learnRateLimits: false } },
    });
    mocks[0]!.rateLimit({ limit: 1, windowMs: 60_000, headers: true });
    await ai.chat(hello);
    const { report } = await ai.chat(hello);
    expect(report.attempts[0]).toMatchObject({ deployment: 'primary/m', outcome: 'rate_limited' });
  });
});

function post(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
