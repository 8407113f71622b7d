import { fault, MockProvider } from '@ai-failover/testing';
import { resolveConfig } from '../config';
import type { ChatRequest, ResolvedDeployment, ResolvedProvider } from '../types';
import { ProviderRuntime } from './runtime';
import { type PrimaryOutcome, type ShadowComparison, ShadowRunner } from './shadow';

let mock: MockProvider;
let runner: ShadowRunner | undefined;
beforeAll(async () => {
  mock = await MockProvider.start({ name: 'shadow', content: 'Paris is the capital of France' });
});
afterEach(async () => {
  await runner?.close();
  runner = undefined;
  mock.reset();
});
afterAll(() => mock.close());

function provider(maxConcurrent = 2): ProviderRuntime {
  return new ProviderRuntime(resolvedProvider(maxConcurrent));
}

function resolvedProvider(maxConcurrent: number): ResolvedProvider {
  const config = resolveConfig(
    {
      providers: [{ id: 'shadow', baseUrl: mock.baseUrl, apiKey: 'key-shadow-1', maxConcurrent }],
      models: { chat: { deployments: [{ provider: 'shadow', model: 'candidate' }] } },
    },
    {},
  );
  return config.providers.get('shadow')!;
}

const deployment: ResolvedDeployment = {
  id: 'shadow/candidate',
  provider: 'shadow',
  model: 'candidate',
  weight: 1,
  priority: 0,
  price: { input: 1, output: 2 },
  degradedLatencyMs: 2000,
  rateLimit: undefined,
  region: undefined,
};

function start(options: { maxConcurrent?: number; timeoutMs?: number } = {}) {
  const compared: ShadowComparison[] = [];
  runner = new ShadowRunner(
    'chat',
    {
      deployment,
      percent: 100,
      maxConcurrent: options.maxConcurrent ?? 2,
      timeoutMs: options.timeoutMs ?? 5000,
    },
    provider(),
    (c) => compared.push(c),
  );
  return compared;
}

const request: ChatRequest = { messages: [{ role: 'user', content: 'capital of France?' }] };
const primary = (over: Partial<PrimaryOutcome> = {}): PrimaryOutcome => ({
  deployment: 'primary/m',
  ok: true,
  latencyMs: 40,
  usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
  costUsd: 0.001,
  text: 'The capital of France is Paris',
  error: undefined,
  ...over,
});

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ShadowRunner', () => {
  test('compares the primary with the shadow: latency, tokens, cost, success, similarity', async () => {
    const compared = start();
    const pair = runner!.start('req-1', request);
    expect(pair).toBeDefined();
    pair!.primaryDone(primary());
    await until(() => compared.length === 1);
    const [c] = compared;
    expect(c).toEqual({
      requestId: 'req-1',
      model: 'chat',
      primary: {
        deployment: 'primary/m',
        ok: true,
        latencyMs: 40,
        promptTokens: 5,
        completionTokens: 6,
        costUsd: 0.001,
        error: null,
      },
      shadow: expect.objectContaining({ deployment: 'shadow/candidate', ok: true, error: null }),
      similarity: 1,
      latencyDeltaMs: c!.shadow.latencyMs - 40,
    });
    // The mock counts 5 prompt tokens for "capital of France?" (18 chars / 4) and 6 words of answer.
    expect(c!.shadow.promptTokens).toBe(5);
    expect(c!.shadow.completionTokens).toBe(6);
    expect(c!.shadow.costUsd).toBe((5 * 1 + 6 * 2) / 1_000_000);
    expect(mock.requests[0]!.body).toEqual({ model: 'candidate', ...request });
    expect(mock.requests[0]!.apiKey).toBe('key-shadow-1');
  });

  test('a hung shadow times out on its own clock and is recorded as failed', async () => {
    mock.setDefault(fault.hang());
    const compared = start({ timeoutMs: 150 });
    const pair = runner!.start('req-2', request);
    pair!.primaryDone(primary());
    await until(() => compared.length === 1);
    expect(compared[0]!.shadow).toEqual(expect.objectContaining({ ok: false, error: 'timeout' }));
    expect(compared[0]!.shadow.latencyMs).toBeGreaterThanOrEqual(140);
    expect(compared[0]!.similarity).toBeNull();
    await mock.waitForAbort();
  });

  test('over the cap a sampled call is not mirrored, and the skip is counted', async () => {
    mock.setDefault(fault.hang());
    start({ maxConcurrent: 1 });
    expect(runner!.start('a', request)).toBeDefined();
    expect(runner!.start('b', request)).toBeUndefined();
    expect(runner!.status()).toEqual(
      expect.objectContaining({ inFlight: 1, started: 1, skipped: 1, maxConcurrent: 1, percent: 100 }),
    );
  });

  test('close aborts the shadows in flight', async () => {
    mock.setDefault(fault.hang());
    const compared = start();
    runner!.start('c', request)!.primaryDone(primary());
    await mock.waitForRequests(1);
    await runner!.close();
    await until(() => compared.length === 1);
    expect(compared[0]!.shadow.error).toBe('aborted');
    expect(runner!.start('d', request)).toBeUndefined();
  });

  test('a failed primary is compared too', async () => {
    const compared = start();
    runner!
      .start('e', request)!
      .primaryDone(primary({ ok: false, deployment: undefined, error: 'ai_all_attempts_failed' }));
    await until(() => compared.length === 1);
    expect(compared[0]!.primary).toEqual(
      expect.objectContaining({ deployment: null, ok: false, error: 'ai_all_attempts_failed' }),
    );
    expect(compared[0]!.shadow.ok).toBe(true);
  });

  test('sampling follows the percentage', () => {
    start();
    const half = new ShadowRunner('chat', { ...runner!.settings, percent: 50 }, provider(), () => {});
    let seq = 0;
    const random = () => (seq++ % 10) / 10;
    let sampled = 0;
    for (let i = 0; i < 100; i++) if (half.samples(random)) sampled++;
    expect(sampled).toBe(50);
    return half.close();
  });
});
