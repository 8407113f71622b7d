import { fault } from '@ai-failover/testing';
import { Registry } from 'prom-client';
import { AiClient, ConfigError } from '.';
import { type Harness, harness, hello } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const until = async (check: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('observability switched on through the config', () => {
  test('probes: enabled by config, started by start(), a dead provider turns unhealthy with no user traffic', async () => {
    h = await harness(['a', 'b'], {
      config: { probes: { intervalMs: 80, timeoutMs: 200, jitter: 0 }, health: { unhealthyAfter: 2 } },
    });
    h.mocks[0]!.setDefault(fault.status(503));
    await h.client.start();
    await h.client.start(); // idempotent
    await until(
      () => h!.client.health().deployments.find((d) => d.id === 'a/a-model')!.status === 'unhealthy',
    );
    expect(h.mocks[0]!.requests.every((r) => r.path === '/v1/models')).toBe(true);
    expect(h.client.readiness().httpStatus).toBe(200); // b still serves the group
    h.mocks[0]!.setDefault(fault.ok());
    await until(() => h!.client.health().deployments.find((d) => d.id === 'a/a-model')!.status === 'healthy');
  });

  test('metrics: on the app registry, served by client.metrics', async () => {
    const registry = new Registry();
    h = await harness(['a', 'b'], { config: { metrics: { registry } }, policy: { retries: 0 } });
    h.mocks[0]!.script(fault.status(503));
    await h.client.chat(hello);
    await h.client.chat(hello);
    const text = await h.client.metrics!.render();
    expect(h.client.metrics!.contentType).toMatch(/text\/plain/);
    expect(text).toMatch(/^ai_requests_total\{model="chat",deployment="b\/b-model",outcome="success"\} 1$/m);
    expect(text).toMatch(/^ai_requests_total\{model="chat",deployment="a\/a-model",outcome="success"\} 1$/m);
    expect(text).toMatch(/^ai_failovers_total\{model="chat",from="a\/a-model",reason="server_error"\} 1$/m);
    expect(await registry.metrics()).toBe(text);
    await h.client.close();
    expect(await registry.metrics()).not.toContain('ai_requests_total');
  });

  test('metrics and tracing options are validated at start-up', () => {
    expect(
      () =>
        new AiClient({
          providers: [{ id: 'a', baseUrl: 'http://127.0.0.1:1/v1' }],
          models: { m: { deployments: [{ provider: 'a', model: 'x' }] } },
          metrics: { prefix: 'bad prefix' },
          probes: { jitter: 2 },
        }),
    ).toThrow(ConfigError);
    try {
      new AiClient({
        providers: [{ id: 'a', baseUrl: 'http://127.0.0.1:1/v1' }],
        models: { m: { deployments: [{ provider: 'a', model: 'x' }] } },
        metrics: { prefix: 'bad prefix' },
        probes: { jitter: 2 },
      });
    } catch (error) {
      expect((error as ConfigError).issues.map((i) => i.path).sort()).toEqual([
        'metrics.prefix',
        'probes.jitter',
      ]);
    }
  });

  test('a typed error carries the id of the request it ended', async () => {
    h = await harness(['a']);
    h.mocks[0]!.setDefault(fault.badRequest());
    const error = (await h.client.chat(hello).catch((e: unknown) => e)) as { requestId?: string };
    expect(error.requestId).toMatch(/^afo_/);
  });
});
