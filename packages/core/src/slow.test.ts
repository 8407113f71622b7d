/** Slow, hung and thinking providers: failing over in time, hedging, failing fast, thinking. */
import { getEventListeners, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fault, MockProvider } from '@ai-failover/testing';
import { Registry } from 'prom-client';
import { AiClient, AllAttemptsFailedError, type RequestReport, UpstreamError } from '.';
import { activeResources, type Harness, harness, hello, ManualClock } from './__tests__/support';
import { createAiHttpHandler } from './http';
import { createPrometheusMetrics } from './metrics/prometheus';

let h: Harness | undefined;
let server: Server | undefined;
afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  }
  await h?.close();
  h = undefined;
});

const A = 'a/a-model';
const B = 'b/b-model';
const trail = (report: RequestReport) =>
  report.attempts.map((a) => `${a.deployment}:${a.outcome}:${a.decision}${a.hedged ? ':hedged' : ''}`);

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream) {
    // read to the end
  }
}

describe('time-aware failover', () => {
  test('a hung primary, deadline twice the attempt timeout: 3 calls and 2 streams in a row are served by the secondary in time', async () => {
    h = await harness(['a', 'b'], { policy: { deadlineMs: 2000 } });
    h.mocks[0]!.setDefault(fault.hang());
    const options = { timeoutMs: 1000 };
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      let report: RequestReport;
      if (i < 3) report = (await h.client.chat(hello, options)).report;
      else {
        const stream = await h.client.chatStream(hello, options);
        await drain(stream);
        report = await stream.done;
      }
      const elapsed = performance.now() - started;
      expect(report.deployment).toBe(B);
      expect(elapsed).toBeLessThan(1000 + 400);
      // The primary was never retried in place: one timed-out attempt at most, then the secondary.
      expect(report.attempts.filter((a) => a.deployment === A).length).toBeLessThanOrEqual(1);
      for (const attempt of report.attempts.filter((a) => a.deployment === A)) {
        expect(attempt).toMatchObject({ outcome: 'timeout', decision: 'failover' });
      }
    }
    // Three timeouts in a row made the primary unhealthy: the last calls went to the secondary first.
    expect(h.mocks[0]!.requests.length).toBe(3);
  });

  test('with another candidate at hand, an attempt gets at most half of the time left', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.hang());
    const started = performance.now();
    const { report } = await h.client.chat(hello, { deadlineMs: 1000, timeoutMs: 10_000 });
    expect(report.deployment).toBe(B);
    expect(report.attempts[0]).toMatchObject({ deployment: A, outcome: 'timeout', decision: 'failover' });
    expect(report.attempts[0]!.latencyMs).toBeGreaterThanOrEqual(490);
    expect(report.attempts[0]!.latencyMs).toBeLessThan(700);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('hedged requests', () => {
  test('a slow primary with hedge afterMs 200: the secondary answers, the primary is aborted, both attempts reported', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 200 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 1500 }));
    h.mocks[1]!.setDefault(fault.ok({ latencyMs: 50 }));
    const metrics = createPrometheusMetrics(h.client, { registry: new Registry() });
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const { report, response } = await h.client.chat(hello);
      const elapsed = performance.now() - started;
      expect(response.choices[0]!.message.content).toBe('Hello from b');
      expect(elapsed).toBeGreaterThanOrEqual(240);
      expect(elapsed).toBeLessThan(200 + 50 + 300);
      expect(report).toMatchObject({ deployment: B, hedges: 1 });
      expect(trail(report).sort()).toEqual([`${A}:aborted:cancelled`, `${B}:success:done:hedged`]);
      // The hedge that lost was sent the same prompt: its cost counts too (input price 1 per million).
      const usage = report.usage!;
      const winner = (usage.prompt_tokens * 1 + usage.completion_tokens * 2) / 1e6;
      expect(report.costUsd).toBeCloseTo(winner + usage.prompt_tokens / 1e6, 12);
      const aborted = await h.mocks[0]!.waitForAbort(1000);
      expect(aborted.aborted).toBe(true);
    }
    expect(h.mocks[0]!.requests.every((r) => r.aborted)).toBe(true);
    const text = await metrics.render();
    expect(text).toContain(`ai_hedges_total{model="chat",deployment="${B}"} 3`);
    expect(text).toContain(`ai_hedge_wins_total{model="chat",deployment="${B}"} 3`);
    expect(h.client.usage().total.requests).toBe(3);
    metrics.close();
  });

  test('a deployment that keeps losing the race to its hedge is put behind, its breaker untouched', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 100 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 1500 }));
    for (let i = 0; i < 3; i++) expect((await h.client.chat(hello)).report.hedges).toBe(1);
    const { report } = await h.client.chat(hello);
    expect(trail(report)).toEqual([`${B}:success:done`]);
    expect(h.mocks[0]!.requests).toHaveLength(3);
    expect(h.client.health().deployments[0]).toMatchObject({ id: A, breaker: 'closed', status: 'unhealthy' });
  });

  test('no hedge goes to a deployment that routing puts behind', async () => {
    h = await harness(['a', 'b'], {
      group: { hedge: { afterMs: 100 } },
      config: { probes: { intervalMs: 40, timeoutMs: 500, jitter: 0 } },
    });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 400 }));
    h.mocks[1]!.setDefault(fault.status(503));
    await h.client.start();
    while (h.client.health().deployments[1]!.status !== 'unhealthy')
      await new Promise((r) => setTimeout(r, 10));
    const { report } = await h.client.chat(hello);
    expect(trail(report)).toEqual([`${A}:success:done`]);
    expect(h.mocks[1]!.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(0);
  });

  test('races leave no timer, socket or abort listener behind', async () => {
    await new Promise((r) => setTimeout(r, 100));
    const before = activeResources();
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 50 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 300, ttfbMs: 300 }));
    h.mocks[1]!.script(fault.ok(), fault.ok(), fault.hang(), fault.status(503));
    const signal = new AbortController().signal;
    await h.client.chat(hello, { signal });
    const stream = await h.client.chatStream(hello, { signal });
    await drain(stream);
    await stream.done;
    await h.client.chat(hello, { signal }); // the hedge hangs: the primary wins, the hedge is cancelled
    await h.client.chat(hello, { signal }).catch(() => undefined); // the hedge fails: the primary serves
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
    await h.close();
    h = undefined;
    let after = activeResources();
    for (let i = 0; i < 20 && (after.Timeout ?? 0) > (before.Timeout ?? 0); i++) {
      await new Promise((r) => setTimeout(r, 25));
      after = activeResources();
    }
    expect(after.Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0);
    expect(after.TCPSocketWrap ?? 0).toBeLessThanOrEqual(before.TCPSocketWrap ?? 0);
  });

  test('a stream is hedged on its first token; the first to start streaming wins', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 150 } } });
    h.mocks[0]!.setDefault(fault.ok({ ttfbMs: 1500 }));
    const started = performance.now();
    const stream = await h.client.chatStream(hello);
    expect(performance.now() - started).toBeLessThan(500);
    expect(stream.deployment).toBe(B);
    await drain(stream);
    const report = await stream.done;
    expect(trail(report).sort()).toEqual([`${A}:aborted:cancelled`, `${B}:success:done:hedged`]);
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('a primary that answers first wins, and the hedge is the one cancelled', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 100 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 300 }));
    h.mocks[1]!.setDefault(fault.hang());
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe(A);
    expect(trail(report).sort()).toEqual([`${A}:success:done`, `${B}:aborted:cancelled:hedged`]);
    await h.mocks[1]!.waitForAbort(1000);
  });

  test('per call: a hedge for one call, none for another; at most maxHedges', async () => {
    h = await harness(['a', 'b', 'c'], { group: { hedge: { afterMs: 100 } } });
    for (const mock of h.mocks.slice(0, 2)) mock.setDefault(fault.ok({ latencyMs: 600 }));
    h.mocks[2]!.setDefault(fault.ok({ latencyMs: 20 }));
    const none = await h.client.chat(hello, { hedge: false });
    expect(trail(none.report)).toEqual([`${A}:success:done`]);
    // One hedge only: b races a, c is never started.
    const one = await h.client.chat(hello);
    expect(one.report.attempts).toHaveLength(2);
    expect(h.mocks[2]!.requests).toHaveLength(0);
    // Two hedges: c starts 100 ms after b and wins.
    const two = await h.client.chat(hello, { hedge: { afterMs: 100, maxHedges: 2 } });
    expect(two.report).toMatchObject({ deployment: 'c/c-model', hedges: 2 });
    expect(two.report.attempts).toHaveLength(3);
    await expect(h.client.chat(hello, { hedge: { maxHedges: 2 } })).rejects.toMatchObject({
      code: 'AI_INVALID_REQUEST',
      field: 'options.hedge',
    });
  });

  test('a caller’s 400 from either side stops the call and cancels the other attempt', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { afterMs: 100 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 1000 }));
    h.mocks[1]!.setDefault(fault.badRequest('temperature must be at most 2'));
    const started = performance.now();
    const error = await h.client.chat(hello).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(400);
    expect(performance.now() - started).toBeLessThan(600);
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('the adaptive delay follows the deployment’s own latency percentile', async () => {
    h = await harness(['a', 'b'], { group: { hedge: { percentile: 90, afterMs: 5000 } } });
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 30 }));
    // Fewer than 20 latencies known: the fixed delay (5 s) applies, no hedge for these.
    for (let i = 0; i < 20; i++) expect((await h.client.chat(hello)).report.attempts).toHaveLength(1);
    h.mocks[0]!.setDefault(fault.ok({ latencyMs: 2000 }));
    const started = performance.now();
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe(B);
    expect(report.attempts.find((a) => a.hedged)).toBeDefined();
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('failing fast', () => {
  test('every deployment 503 with its breaker open, 40 s deadline: each call answers 503 with Retry-After at once', async () => {
    h = await harness(['a', 'b'], {
      policy: { retries: 0, deadlineMs: 40_000, breaker: { volumeThreshold: 2, resetTimeoutMs: 30_000 } },
    });
    for (const mock of h.mocks) mock.setDefault(fault.status(503));
    const http = createAiHttpHandler({ client: h.client, openai: { authorize: () => true } });
    server = createServer((req, res) => void http.handle(req, res));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
    const post = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', ...hello }),
      });
    while (h.client.health().deployments.some((d) => d.breaker !== 'open')) {
      expect((await post()).status).toBe(503);
    }
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await post();
      expect(performance.now() - started).toBeLessThan(1500);
      expect(res.status).toBe(503);
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(29);
      expect(retryAfter).toBeLessThanOrEqual(30);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('all_attempts_failed');
    }
    expect(h.mocks.map((m) => m.requests.length)).toEqual([2, 2]);
  });

  test('a cooldown due within policy.maxWaitMs is waited for; one due later is not', async () => {
    h = await harness(['a'], { policy: { maxWaitMs: 500, maxRetryAfterMs: 0 } });
    h.mocks[0]!.script(fault.rateLimited({ retryAfterMs: 300 }), fault.ok());
    expect((await h.client.chat(hello)).report.deployment).toBe(A);
    h.mocks[0]!.script(fault.rateLimited({ retryAfterMs: 800 }));
    const started = performance.now();
    const error = (await h.client.chat(hello).catch((e: unknown) => e)) as AllAttemptsFailedError;
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect(performance.now() - started).toBeLessThan(300);
    expect(error.retryAfterMs).toBeGreaterThan(600);
    expect(error.retryAfterMs).toBeLessThanOrEqual(800);
  });
});

describe('thinking counts', () => {
  test('a stream that thinks for 2 s with an 800 ms first-token timeout: one attempt, thoughts delivered as they come', async () => {
    h = await harness(['a', 'b'], { policy: { stream: { firstTokenTimeoutMs: 800 } } });
    // Twenty thoughts, one every 100 ms, then the answer.
    const thoughts = Array.from({ length: 20 }, (_, i) => `step${i + 1}`);
    h.mocks[0]!.setDefault(fault.ok({ reasoning: thoughts.join(' '), chunkDelayMs: 100 }));
    const started = performance.now();
    const stream = await h.client.chatStream(hello);
    const arrivals: Array<{ at: number; reasoning?: string; content?: string }> = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { reasoning_content?: string; content?: string } | undefined;
      if (delta?.reasoning_content || delta?.content) {
        arrivals.push({
          at: performance.now() - started,
          reasoning: delta.reasoning_content,
          content: delta.content ?? undefined,
        });
      }
    }
    const report = await stream.done;
    expect(trail(report)).toEqual([`${A}:success:done`]);
    expect(h.mocks[1]!.requests).toHaveLength(0);
    expect(arrivals[0]!.at).toBeLessThan(300);
    expect(report.timeToFirstTokenMs).toBeLessThan(300);
    expect(arrivals.filter((a) => a.reasoning).map((a) => a.reasoning?.trim())).toEqual(thoughts);
    // In order, all before the answer, and spread over the thinking time rather than in one burst.
    const firstContent = arrivals.findIndex((a) => a.content);
    expect(firstContent).toBe(20);
    expect(arrivals[19]!.at - arrivals[0]!.at).toBeGreaterThan(1500);
    expect(
      arrivals
        .slice(firstContent)
        .map((a) => a.content)
        .join(''),
    ).toBe('Hello from a');
  });

  test('thinking of a native protocol counts too (Anthropic thinking deltas)', async () => {
    const mock = await MockProvider.start({ name: 'ant', models: ['claude-test'] });
    const client = new AiClient({
      providers: [
        { id: 'ant', baseUrl: mock.anthropicBaseUrl, apiKey: 'key-ant-0001', protocol: 'anthropic' },
      ],
      models: { chat: { deployments: [{ provider: 'ant', model: 'claude-test' }] } },
      policy: { stream: { firstTokenTimeoutMs: 500 } },
    });
    try {
      const thoughts = Array.from({ length: 10 }, (_, i) => `step${i + 1}`).join(' ');
      mock.setDefault(fault.ok({ reasoning: thoughts, chunkDelayMs: 100 }));
      // About 1.3 s of thinking against a 500 ms first-token clock: one attempt serves it all.
      const stream = await client.chatStream(hello);
      let reasoning = '';
      for await (const chunk of stream) {
        reasoning +=
          (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
      }
      expect(reasoning).toBe(thoughts);
      expect((await stream.done).attempts).toHaveLength(1);
    } finally {
      await client.close();
      await mock.close();
    }
  });

  test('after the first thought, the idle clock guards the stream', async () => {
    h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 300 } } });
    h.mocks[0]!.setDefault(fault.ok({ reasoning: 'one two three', chunkDelayMs: 1000 }));
    const stream = await h.client.chatStream(hello);
    await expect(drain(stream)).rejects.toMatchObject({ code: 'AI_STREAM_INTERRUPTED' });
  });
});

/** A seeded generator, so random routing gives the same draws on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('health steers routing', () => {
  const chatRequests = (h: Harness, i: number) =>
    h.mocks[i]!.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

  test('probes that find a deployment dead take it out before a live call pays for it, and bring it back', async () => {
    h = await harness(['a', 'b'], { config: { probes: { intervalMs: 40, timeoutMs: 500, jitter: 0 } } });
    h.mocks[0]!.setDefault(fault.status(503));
    await h.client.start();
    const down = () => h!.client.health().deployments.find((d) => d.id === A)!.status === 'unhealthy';
    while (!down()) await new Promise((r) => setTimeout(r, 10));
    const { report } = await h.client.chat(hello);
    expect(trail(report)).toEqual([`${B}:success:done`]);
    expect(chatRequests(h, 0)).toBe(0);
    // The next successful probe brings it back first.
    h.mocks[0]!.setDefault(fault.ok());
    while (down()) await new Promise((r) => setTimeout(r, 10));
    expect((await h.client.chat(hello)).report.deployment).toBe(A);
  });

  test('degraded (slow) after healthy, unhealthy last, until a reset period later live calls check again', async () => {
    const clock = new ManualClock();
    h = await harness(['a', 'b', 'c'], {
      policy: {
        retries: 0,
        breaker: { resetTimeoutMs: 30_000, consecutiveFailures: 0, volumeThreshold: 100 },
      },
      config: { health: { degradedLatencyMs: 100, unhealthyAfter: 1 } },
      client: { clock },
    });
    // a answers, slowly: 150 ms pass on the manual clock while it works.
    h.mocks[0]!.handle(() => {
      clock.advance(150);
      return undefined;
    });
    h.mocks[1]!.setDefault(fault.status(503));
    const C = 'c/c-model';
    expect(trail((await h.client.chat(hello)).report)).toEqual([`${A}:success:done`]);
    // a is degraded now: b and c go first; b fails and is unhealthy from then on.
    expect(trail((await h.client.chat(hello)).report)).toEqual([
      `${B}:server_error:failover`,
      `${C}:success:done`,
    ]);
    expect(trail((await h.client.chat(hello)).report)).toEqual([`${C}:success:done`]);
    // When c fails, the degraded a comes before the unhealthy b.
    h.mocks[2]!.script(fault.status(503));
    expect(trail((await h.client.chat(hello)).report)).toEqual([
      `${C}:server_error:failover`,
      `${A}:success:done`,
    ]);
    // Verdicts a reset period old no longer hold: the group's own order again, and a live call checks.
    clock.advance(30_000);
    expect(trail((await h.client.chat(hello)).report)).toEqual([`${A}:success:done`]);
  });

  test('a weighted group with one deployment failing half its calls: the health strategy sends it less traffic', async () => {
    const share = async (strategy: 'weighted' | 'health'): Promise<number> => {
      const local = await harness(['a', 'b'], {
        policy: { retries: 0 },
        group: { strategy },
        client: { random: seeded(7) },
      });
      try {
        let calls = 0;
        local.mocks[0]!.handle(() => (calls++ % 2 === 1 ? fault.status(503) : undefined));
        let first = 0;
        for (let i = 0; i < 300; i++) {
          const { report } = await local.client.chat(hello);
          if (report.attempts[0]!.deployment === A) first++;
        }
        if (strategy === 'health') {
          const { models, deployments } = local.client.health();
          const score = (id: string) => deployments.find((d) => d.id === id)!.score;
          expect(score(A)).toBeLessThan(0.75);
          // /health shows the weights the strategy draws with: weight × score, normalised.
          expect(models[0]!.weights[A]).toBeCloseTo(score(A) / (score(A) + score(B)), 2);
        }
        return first / 300;
      } finally {
        await local.close();
      }
    };
    const weighted = await share('weighted');
    const health = await share('health');
    expect(weighted).toBeGreaterThan(0.44);
    expect(health).toBeLessThan(weighted - 0.07);
    expect(health).toBeLessThan(0.43);
  });
});
