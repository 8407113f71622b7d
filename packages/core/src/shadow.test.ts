import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient, type ShadowComparison, type ShadowConfig } from '.';
import { activeResources, hello } from './__tests__/support';

let mocks: MockProvider[] = [];
let client: AiClient | undefined;
afterEach(async () => {
  await client?.close();
  client = undefined;
  await Promise.all(mocks.map((m) => m.close()));
  mocks = [];
});

/** Group `chat` on `primary`, mirrored to `shadow`. */
async function start(shadow: Partial<ShadowConfig> = {}, metrics = false): Promise<AiClient> {
  mocks = await Promise.all([
    MockProvider.start({ name: 'primary', content: 'Paris is the capital of France' }),
    MockProvider.start({ name: 'shadow', content: 'The capital of France is Paris' }),
  ]);
  client = new AiClient({
    providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl, apiKey: `key-${m.name}-0001` })),
    models: {
      chat: {
        deployments: [{ provider: 'primary', model: 'm', price: { input: 1, output: 1 } }],
        shadow: {
          deployment: { provider: 'shadow', model: 'candidate', price: { input: 10, output: 10 } },
          percent: 100,
          ...shadow,
        },
      },
    },
    policy: { retries: 0 },
    metrics,
  });
  return client;
}

function collect(ai: AiClient): ShadowComparison[] {
  const compared: ShadowComparison[] = [];
  ai.on('shadowComparison', (c) => compared.push(c));
  return compared;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('shadow traffic', () => {
  test('at 100 % every call is mirrored and compared: latency, tokens, cost, success, similarity', async () => {
    const ai = await start({}, true);
    const compared = collect(ai);
    const { response, report } = await ai.chat(hello);
    expect(response.choices[0]!.message.content).toBe('Paris is the capital of France');
    await until(() => compared.length === 1);
    const [c] = compared;
    expect(c).toEqual({
      requestId: report.requestId,
      model: 'chat',
      primary: {
        deployment: 'primary/m',
        ok: true,
        latencyMs: report.latencyMs,
        promptTokens: 3,
        completionTokens: 6,
        costUsd: report.costUsd,
        error: null,
      },
      shadow: {
        deployment: 'shadow/candidate',
        ok: true,
        latencyMs: expect.any(Number),
        promptTokens: 3,
        completionTokens: 6,
        costUsd: (9 * 10) / 1_000_000,
        error: null,
      },
      similarity: 1,
      latencyDeltaMs: c!.shadow.latencyMs - report.latencyMs,
    });
    // The shadow got the caller's request, with its own model name, not streamed.
    expect(mocks[1]!.requests[0]!.body).toEqual({ model: 'candidate', messages: hello.messages });
    // Shadow spend is counted apart from the real calls'.
    const usage = ai.usage();
    expect(usage.total).toEqual(expect.objectContaining({ requests: 1, costUsd: report.costUsd }));
    expect(usage.shadow?.byDeployment['shadow/candidate']).toEqual({
      requests: 1,
      promptTokens: 3,
      completionTokens: 6,
      costUsd: 0.00009,
    });
    const text = await ai.metrics!.render();
    expect(text).toContain(
      'ai_shadow_requests_total{model="chat",deployment="shadow/candidate",outcome="success"} 1',
    );
    expect(text).toContain('ai_shadow_cost_usd_total{model="chat",deployment="shadow/candidate"} 0.00009');
    expect(text).toContain('ai_cost_usd_total{model="chat",deployment="primary/m"} 0.000009');
    expect(text).toMatch(/ai_shadow_similarity_count\{model="chat"\} 1/);
  });

  test('a hanging shadow: the caller gets the primary answer at the primary speed; the comparison records both', async () => {
    const ai = await start({ timeoutMs: 400 });
    mocks[1]!.setDefault(fault.hang());
    mocks[0]!.setDefault(fault.ok({ latencyMs: 20 }));
    const compared = collect(ai);
    const latencies: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const { report } = await ai.chat(hello);
      latencies.push(Date.now() - started);
      expect(report.deployment).toBe('primary/m');
      expect(report.attempts).toHaveLength(1);
    }
    // Each call took about the primary's 20 ms, nowhere near the shadow's 400 ms timeout.
    for (const ms of latencies) expect(ms).toBeLessThan(250);
    await until(() => compared.length === 3);
    for (const c of compared) {
      expect(c.primary).toEqual(expect.objectContaining({ ok: true, deployment: 'primary/m' }));
      expect(c.shadow).toEqual(
        expect.objectContaining({ ok: false, error: 'timeout', deployment: 'shadow/candidate' }),
      );
      expect(c.shadow.latencyMs).toBeGreaterThanOrEqual(390);
      expect(c.similarity).toBeNull();
    }
    expect(ai.usage().shadow?.total.requests).toBe(0);
  });

  test('a failing shadow never fails the primary; a failing primary is compared too', async () => {
    const ai = await start();
    const compared = collect(ai);
    mocks[1]!.setDefault(fault.status(500));
    expect((await ai.chat(hello)).report.deployment).toBe('primary/m');
    mocks[1]!.setDefault(fault.ok());
    mocks[0]!.setDefault(fault.status(400));
    await expect(ai.chat(hello)).rejects.toMatchObject({ code: 'AI_UPSTREAM_ERROR' });
    await until(() => compared.length === 2);
    expect(compared.map((c) => [c.primary.ok, c.primary.error, c.shadow.ok, c.shadow.error])).toEqual([
      [true, null, false, 'server_error'],
      [false, 'ai_upstream_error', true, null],
    ]);
  });

  test('streams are mirrored too, and compared on the text the caller received', async () => {
    const ai = await start();
    const compared = collect(ai);
    const stream = await ai.chatStream(hello);
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    await stream.done;
    expect(text).toBe('Paris is the capital of France');
    await until(() => compared.length === 1);
    expect(compared[0]).toEqual(expect.objectContaining({ similarity: 1 }));
    expect(mocks[1]!.requests[0]!.stream).toBe(false);
  });

  test('bounded: past maxConcurrent shadow calls in flight, calls are not mirrored (never queued)', async () => {
    const ai = await start({ maxConcurrent: 2, timeoutMs: 5000 });
    mocks[1]!.setDefault(fault.hang());
    for (let i = 0; i < 6; i++) await ai.chat(hello);
    await mocks[1]!.waitForRequests(2);
    expect(mocks[1]!.requests).toHaveLength(2);
    expect(ai.health().models[0]!.shadow).toEqual({
      deployment: 'shadow/candidate',
      percent: 100,
      inFlight: 2,
      maxConcurrent: 2,
      started: 2,
      skipped: 4,
    });
  });

  test('the sample follows the percentage', async () => {
    const ai = await start({ percent: 25 });
    for (let i = 0; i < 200; i++) await ai.chat(hello);
    await until(
      () => mocks[1]!.requests.filter((r) => r.status !== undefined).length === mocks[1]!.requests.length,
    );
    const mirrored = mocks[1]!.requests.length;
    expect(mirrored).toBeGreaterThan(25);
    expect(mirrored).toBeLessThan(75);
  });

  test('close() aborts shadow calls in flight and leaves no handle behind', async () => {
    const before = activeResources();
    const ai = await start({ timeoutMs: 60_000 });
    mocks[1]!.setDefault(fault.hang());
    await ai.chat(hello);
    await mocks[1]!.waitForRequests(1);
    await ai.close();
    await mocks[1]!.waitForAbort();
    await Promise.all(mocks.map((m) => m.close()));
    mocks = [];
    await until(() => (activeResources().Timeout ?? 0) <= (before.Timeout ?? 0));
  });
});
