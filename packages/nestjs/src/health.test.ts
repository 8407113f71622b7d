import 'reflect-metadata';
import type { HealthReport, ReadinessReport } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { AiFailoverModule, AiFailoverService } from '.';
import { appStarter, closeAll, configFor, hello, PLATFORMS, startMocks } from './__tests__/support';
import { AiFailoverHealthIndicator } from './terminus';

@Controller('terminus')
class TerminusController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly ai: AiFailoverHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.ai.isReady('llm')]);
  }

  @Get('healthy')
  @HealthCheck()
  healthy() {
    return this.health.check([() => this.ai.isHealthy()]);
  }
}

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [TerminusController],
  providers: [AiFailoverHealthIndicator],
})
class HealthModule {}

const policy = { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 60000 } };

const OPS = { authorization: 'Bearer ops-token' };
const opsOnly = (req: { headers: Record<string, unknown> }) =>
  req.headers.authorization === OPS.authorization;

async function getJson<T>(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: T; cache: string | null }> {
  const response = await fetch(url, { headers });
  return {
    status: response.status,
    body: (await response.json()) as T,
    cache: response.headers.get('cache-control'),
  };
}

describe.each(PLATFORMS)('health routes (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;

  beforeEach(async () => {
    mocks = await startMocks(['up', 'flaky']);
  });

  afterEach(async () => {
    await closeAll(mocks);
  });

  function configWithFlakyGroup() {
    return configFor(mocks, {
      policy,
      models: {
        flaky: {
          deployments: [
            { provider: 'flaky', model: 'flaky-1' },
            { provider: 'flaky', model: 'flaky-2' },
          ],
        },
      },
    });
  }

  /** Fails every deployment of the `flaky` group until its breakers open. */
  async function breakFlakyGroup(service: AiFailoverService): Promise<void> {
    mocks.flaky!.setDefault(fault.status(503));
    for (let i = 0; i < 2; i++) {
      await expect(service.chat(hello, { model: 'flaky' })).rejects.toMatchObject({
        code: 'AI_ALL_ATTEMPTS_FAILED',
      });
    }
  }

  it('answers GET /health, /health/live and /health/ready with the reports and 200, then 503', async () => {
    const running = await startApp({
      imports: [
        AiFailoverModule.forRoot(configWithFlakyGroup(), { isGlobal: true, health: { authorize: opsOnly } }),
        HealthModule,
      ],
    });
    try {
      // Everyone gets the status only.
      expect(await getJson(`${running.url}/health`)).toMatchObject({
        status: 200,
        body: { status: 'healthy' },
      });
      expect((await getJson(`${running.url}/health`)).body).toEqual({ status: 'healthy' });
      expect((await getJson(`${running.url}/health/ready`)).body).toEqual({ ready: true });
      expect((await getJson(`${running.url}/health/live`)).body).toEqual({ status: 'ok' });

      const health = await getJson<HealthReport>(`${running.url}/health`, OPS);
      expect(health.status).toBe(200);
      expect(health.cache).toBe('no-store');
      expect(health.body).toMatchObject({ status: 'healthy', httpStatus: 200 });
      expect(health.body.deployments.map((d) => d.id).sort()).toEqual([
        'flaky/flaky-1',
        'flaky/flaky-2',
        'up/up-model',
      ]);
      const ready = await getJson<ReadinessReport>(`${running.url}/health/ready`, OPS);
      expect(ready).toMatchObject({ status: 200, body: { ready: true, httpStatus: 200 } });
      const live = await getJson(`${running.url}/health/live`, OPS);
      expect(live).toMatchObject({ status: 200, body: { status: 'ok', httpStatus: 200 } });

      await breakFlakyGroup(running.app.get(AiFailoverService));

      const notReady = await getJson<ReadinessReport>(`${running.url}/health/ready`, OPS);
      expect((await getJson(`${running.url}/health/ready`)).body).toEqual({ ready: false });
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        ready: false,
        httpStatus: 503,
        models: { flaky: { ready: false, usable: 0 }, up: { ready: true, usable: 1 } },
      });
      const unhealthy = await getJson<HealthReport>(`${running.url}/health`, OPS);
      expect(await getJson(`${running.url}/health`)).toMatchObject({
        status: 503,
        body: { status: 'unhealthy' },
      });
      expect(unhealthy).toMatchObject({ status: 503, body: { status: 'unhealthy', httpStatus: 503 } });
      expect(unhealthy.body.deployments.find((d) => d.id === 'flaky/flaky-1')).toMatchObject({
        breaker: 'open',
        usable: false,
      });
      expect(JSON.stringify(unhealthy.body)).not.toContain('sk-test');
      expect((await getJson(`${running.url}/health/live`)).status).toBe(200);

      const terminus = await getJson<{ status: string; error: Record<string, unknown> }>(
        `${running.url}/terminus/ready`,
      );
      expect(terminus.status).toBe(503);
      expect(terminus.body).toMatchObject({
        status: 'error',
        error: { llm: { status: 'down', models: { flaky: { ready: false, usable: 0 } } } },
      });
    } finally {
      await running.close();
    }
  });

  it('reports through the terminus indicator while everything is up', async () => {
    const running = await startApp({
      imports: [
        AiFailoverModule.forRoot(configWithFlakyGroup(), { isGlobal: true, health: false }),
        HealthModule,
      ],
    });
    try {
      const ready = await getJson(`${running.url}/terminus/ready`);
      expect(ready).toMatchObject({
        status: 200,
        body: { status: 'ok', info: { llm: { status: 'up', models: { up: { ready: true, usable: 1 } } } } },
      });
      const healthy = await getJson(`${running.url}/terminus/healthy`);
      expect(healthy).toMatchObject({
        status: 200,
        body: { info: { ai: { status: 'up', health: 'healthy', models: { up: { status: 'healthy' } } } } },
      });
    } finally {
      await running.close();
    }
  });

  it('mounts the routes on a custom path', async () => {
    const running = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { health: { path: 'ops/ai' } })],
    });
    try {
      expect((await getJson(`${running.url}/ops/ai`)).status).toBe(200);
      expect((await getJson(`${running.url}/ops/ai/ready`)).body).toMatchObject({ ready: true });
      expect((await getJson(`${running.url}/ops/ai/live`)).body).toMatchObject({ status: 'ok' });
      expect((await fetch(`${running.url}/health`)).status).toBe(404);
    } finally {
      await running.close();
    }
  });

  it('mounts nothing with health: false', async () => {
    const running = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { health: false })],
    });
    try {
      for (const path of ['/health', '/health/live', '/health/ready']) {
        expect((await fetch(`${running.url}${path}`)).status).toBe(404);
      }
    } finally {
      await running.close();
    }
  });

  it('takes the health option of forRootAsync', async () => {
    const running = await startApp({
      imports: [
        AiFailoverModule.forRootAsync({ useFactory: () => configFor(mocks), health: { path: 'status' } }),
      ],
    });
    try {
      expect((await getJson(`${running.url}/status/ready`)).status).toBe(200);
      expect((await fetch(`${running.url}/health`)).status).toBe(404);
    } finally {
      await running.close();
    }
  });
});
