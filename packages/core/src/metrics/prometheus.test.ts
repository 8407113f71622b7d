import { fault, listen } from '@ai-failover/testing';
import { Counter, Registry } from 'prom-client';

import { ConfigError, type RequestReport, UpstreamError } from '..';
import { type Harness, harness, hello, ManualClock } from '../__tests__/support';
import { createAiHttpHandler } from '../http';
import { createPrometheusMetrics } from './prometheus';

/** The value of the sample `name{labels}` in Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
  for (const row of text.split('\n')) {
    const m = line.exec(row);
    if (!m || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g))
      found[pair[1]!] = pair[2]!;
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(m[3]);
    }
  }
  return undefined;
}

const A = 'a/a-model';
const B = 'b/b-model';

describe('Prometheus metrics', () => {
  let h: Harness;

  afterEach(async () => {
    await h?.close();
  });

  it('counts a scripted mix of requests, attempts, failovers, tokens and cost, and shows an open breaker', async () => {
    const clock = new ManualClock();
    h = await harness(['a', 'b'], {
      policy: { retries: 0, breaker: { volumeThreshold: 12, errorThresholdPercentage: 50 } },
      // The fourth failure in a row (not the third) makes A unhealthy: until then it keeps its turn.
      config: { health: { unhealthyAfter: 4 } },
      client: { clock },
    });
    const metrics = createPrometheusMetrics(h.client, {});
    const [a, b] = h.mocks;
    const served: RequestReport[] = [];

    for (let i = 0; i < 5; i++) served.push((await h.client.chat(hello)).report);
    for (let i = 0; i < 3; i++) {
      a!.script(fault.status(503));
      served.push((await h.client.chat(hello)).report);
    }
    for (let i = 0; i < 2; i++) {
      a!.script(fault.badRequest());
      await expect(h.client.chat(hello)).rejects.toBeInstanceOf(UpstreamError);
    }
    a!.script(fault.status(503));
    b!.script(fault.status(503));
    await expect(h.client.chat(hello)).rejects.toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED' });

    const text = await metrics.render();
    expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const requests = (deployment: string, outcome: string) =>
      sample(text, 'ai_requests_total', { model: 'chat', deployment, outcome });
    expect(requests(A, 'success')).toBe(5);
    expect(requests(B, 'success')).toBe(3);
    expect(requests('none', 'ai_upstream_error')).toBe(2);
    expect(requests('none', 'ai_all_attempts_failed')).toBe(1);

    const attempts = (deployment: string, outcome: string) =>
      sample(text, 'ai_attempts_total', { deployment, outcome });
    expect(attempts(A, 'success')).toBe(5);
    expect(attempts(A, 'server_error')).toBe(4);
    expect(attempts(A, 'client_error')).toBe(2);
    expect(attempts(B, 'success')).toBe(3);
    expect(attempts(B, 'server_error')).toBe(1);

    expect(sample(text, 'ai_failovers_total', { model: 'chat', from: A, reason: 'server_error' })).toBe(4);
    expect(sample(text, 'ai_failovers_total', { model: 'chat', from: B, reason: 'server_error' })).toBe(1);

    const histogram = (outcome: string) =>
      sample(text, 'ai_request_latency_seconds_count', { model: 'chat', outcome });
    expect(histogram('success')).toBe(8);
    expect(histogram('ai_upstream_error')).toBe(2);
    expect(histogram('ai_all_attempts_failed')).toBe(1);
    const latencySum = served.reduce((sum, r) => sum + r.latencyMs, 0) / 1000;
    expect(sample(text, 'ai_request_latency_seconds_sum', { model: 'chat', outcome: 'success' })).toBeCloseTo(
      latencySum,
      6,
    );
    expect(
      sample(text, 'ai_request_latency_seconds_bucket', { model: 'chat', outcome: 'success', le: '120' }),
    ).toBe(8);
    expect(
      sample(text, 'ai_request_latency_seconds_bucket', { model: 'chat', outcome: 'success', le: '+Inf' }),
    ).toBe(8);

    for (const deployment of [A, B]) {
      const mine = served.filter((r) => r.deployment === deployment);
      const input = mine.reduce((sum, r) => sum + r.usage!.prompt_tokens, 0);
      const output = mine.reduce((sum, r) => sum + r.usage!.completion_tokens, 0);
      expect(input).toBeGreaterThan(0);
      expect(output).toBeGreaterThan(0);
      expect(sample(text, 'ai_tokens_total', { model: 'chat', deployment, direction: 'input' })).toBe(input);
      expect(sample(text, 'ai_tokens_total', { model: 'chat', deployment, direction: 'output' })).toBe(
        output,
      );
      expect(sample(text, 'ai_cost_usd_total', { model: 'chat', deployment })).toBeCloseTo(
        (input * 1 + output * 2) / 1_000_000,
        12,
      );
      expect(h.client.usage().byDeployment[deployment]).toMatchObject({
        promptTokens: input,
        completionTokens: output,
      });
    }

    // No breaker is open yet, but the primary's last 503s in a row (health.unhealthyAfter: 4) made
    // it unhealthy, so it is not counted as available.
    expect(sample(text, 'ai_breaker_state', { deployment: A })).toBe(0);
    expect(h.client.health().deployments[0]).toMatchObject({ id: A, status: 'unhealthy', usable: false });
    expect(sample(text, 'ai_deployment_available', { deployment: A })).toBe(0);
    expect(sample(text, 'ai_deployment_available', { deployment: B })).toBe(1);
    expect(sample(text, 'ai_model_available', { model: 'chat' })).toBe(1);

    // Fail the primary until its breaker opens: once its unhealthy verdict is a reset period old,
    // live calls check it again.
    clock.advance(30_000);
    a!.setDefault(fault.status(503));
    for (let i = 0; i < 20 && h.client.health().deployments[0]!.breaker !== 'open'; i++) {
      await h.client.chat(hello);
    }
    const after = await metrics.render();
    expect(sample(after, 'ai_breaker_state', { deployment: A })).toBe(2);
    expect(sample(after, 'ai_breaker_state', { deployment: B })).toBe(0);
    expect(sample(after, 'ai_deployment_available', { deployment: A })).toBe(0);
    expect(sample(after, 'ai_deployment_available', { deployment: B })).toBe(1);
    expect(sample(after, 'ai_model_available', { model: 'chat' })).toBe(1);
    expect(sample(after, 'ai_model_health_score', { deployment: A })).toBeLessThan(
      sample(after, 'ai_model_health_score', { deployment: B })!,
    );
    metrics.close();
  });

  it('reports a model with no usable deployment as unavailable', async () => {
    h = await harness(['a'], { policy: { retries: 0, breaker: { volumeThreshold: 2 } } });
    const metrics = createPrometheusMetrics(h.client, {});
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 5 && h.client.health().deployments[0]!.breaker !== 'open'; i++) {
      await h.client.chat(hello).catch(() => undefined);
    }
    const text = await metrics.render();
    expect(sample(text, 'ai_breaker_state', { deployment: A })).toBe(2);
    expect(sample(text, 'ai_model_available', { model: 'chat' })).toBe(0);
    metrics.close();
  });

  it('counts a stream once it has ended, with the usage of its last chunk', async () => {
    h = await harness(['a']);
    const metrics = createPrometheusMetrics(h.client, {});
    const stream = await h.client.chatStream(hello);
    for await (const _chunk of stream) {
      // drain
    }
    const report = await stream.done;
    const text = await metrics.render();
    expect(sample(text, 'ai_requests_total', { model: 'chat', deployment: A, outcome: 'success' })).toBe(1);
    expect(sample(text, 'ai_tokens_total', { model: 'chat', deployment: A, direction: 'output' })).toBe(
      report.usage!.completion_tokens,
    );
    metrics.close();
  });

  it("puts its metrics on the app's registry when given one, under a custom prefix", async () => {
    h = await harness(['a']);
    const registry = new Registry();
    new Counter({ name: 'app_hits_total', help: 'hits', registers: [registry] }).inc();
    const metrics = createPrometheusMetrics(h.client, { registry, prefix: 'llm_' });
    expect(metrics.registry).toBe(registry);
    await h.client.chat(hello);
    const text = await metrics.render();
    expect(sample(text, 'app_hits_total')).toBe(1);
    expect(sample(text, 'llm_requests_total', { model: 'chat', deployment: A, outcome: 'success' })).toBe(1);
    expect(sample(text, 'ai_requests_total', { model: 'chat', deployment: A, outcome: 'success' })).toBe(
      undefined,
    );
    expect(await registry.metrics()).toBe(text);
    metrics.close();
    expect(registry.getSingleMetric('llm_requests_total')).toBeUndefined();
    expect(registry.getSingleMetric('app_hits_total')).toBeDefined();
  });

  it('reads the health report once per scrape', async () => {
    h = await harness(['a', 'b']);
    const health = jest.spyOn(h.client, 'health');
    const metrics = createPrometheusMetrics(h.client, {});
    const text = await metrics.render();
    expect(health).toHaveBeenCalledTimes(1);
    expect(sample(text, 'ai_model_health_score', { deployment: B })).toBe(1);
    await metrics.render();
    expect(health).toHaveBeenCalledTimes(2);
    metrics.close();
  });

  it('close() removes its listeners, so counts stop changing', async () => {
    h = await harness(['a']);
    const metrics = createPrometheusMetrics(h.client, {});
    await h.client.chat(hello);
    const counter = (metrics.registry as Registry).getSingleMetric('ai_requests_total')!;
    const before = (await counter.get()).values;
    expect(before).toEqual([{ value: 1, labels: { model: 'chat', deployment: A, outcome: 'success' } }]);
    metrics.close();
    metrics.close();
    await h.client.chat(hello);
    expect((await counter.get()).values).toEqual(before);
    expect(await metrics.registry.metrics()).toBe('\n');
  });

  it('refuses a second set of the same metrics on one registry, and a bad prefix, with a ConfigError', async () => {
    h = await harness(['a']);
    const registry = new Registry();
    const first = createPrometheusMetrics(h.client, { registry });
    const second = () => createPrometheusMetrics(h.client, { registry });
    expect(second).toThrow(ConfigError);
    expect(second).toThrow(/metrics\.prefix: the registry already has ai_requests_total/);
    expect(() => createPrometheusMetrics(h.client, { prefix: 'bad-prefix' })).toThrow(ConfigError);
    first.close();
    // Once the first is closed, the names are free again.
    createPrometheusMetrics(h.client, { registry }).close();
  });

  it('counts every model name that is not a configured group under one label', async () => {
    h = await harness(['a'], { config: { metrics: true } });
    const http = createAiHttpHandler({ client: h.client, openai: { authorize: () => true } });
    const served = await listen((req, res) => {
      void http.handle(req, res);
    });
    try {
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${served.base}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: `made-up-${i}`, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).toBe(404);
      }
      await h.client.chat(hello);
      const text = await (await fetch(`${served.base}/metrics`)).text();
      expect(text).not.toContain('made-up');
      const unknown = { model: '(unknown)', deployment: 'none', outcome: 'ai_unknown_model' };
      expect(sample(text, 'ai_requests_total', unknown)).toBe(40);
      expect(sample(text, 'ai_requests_total', { model: 'chat', deployment: A, outcome: 'success' })).toBe(1);
      expect(text.split('\n').filter((line) => line.startsWith('ai_requests_total{'))).toHaveLength(2);
    } finally {
      await served.close();
    }
  });
});
