import { fault, MockProvider } from '@ai-failover/testing';
import { resolveConfig } from '../config';
import { type DeploymentRuntime, Runtime } from '../engine/runtime';
import { Events } from '../events';
import type { HealthConfig } from '../types';
import { PassiveHealth } from './passive';
import { ActiveProber, type ProbeOptions } from './probes';
import { readiness } from './report';

interface Setup {
  mocks: MockProvider[];
  runtime: Runtime;
  prober: ActiveProber;
  deployment(name: string): DeploymentRuntime;
  close(): Promise<void>;
}

const INTERVAL = 100;

async function setup(
  names: string[],
  options: Partial<ProbeOptions> = {},
  health: HealthConfig = { unhealthyAfter: 2, windowSize: 3 },
  apiKeys?: string[],
): Promise<Setup> {
  const mocks = await Promise.all(names.map((name) => MockProvider.start({ name, apiKeys })));
  const config = resolveConfig({
    providers: mocks.map((m, i) => ({
      id: names[i]!,
      baseUrl: m.baseUrl,
      apiKey: `sk-${names[i]}-key-0001`,
    })),
    models: { chat: { deployments: names.map((name) => ({ provider: name, model: `${name}-model` })) } },
    health,
  });
  const runtime = new Runtime(config, new Events());
  const prober = new ActiveProber(runtime, {
    intervalMs: INTERVAL,
    timeoutMs: 1000,
    jitter: 0.1,
    mode: 'models',
    ...options,
  });
  return {
    mocks,
    runtime,
    prober,
    deployment: (name) => runtime.deployments.get(`${name}/${name}-model`)!,
    async close() {
      await prober.close();
      await runtime.close();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

/** Polls `predicate` every 5 ms; resolves with the time it took, rejects after `timeoutMs`. */
async function waitFor(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - started;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
}

describe('PassiveHealth.recordProbeSuccess', () => {
  it('counts a success and resets consecutive failures without touching latency', () => {
    const health = new PassiveHealth({
      windowSize: 10,
      ewmaAlpha: 0.5,
      degradedLatencyMs: 1000,
      unhealthyAfter: 2,
      degradedSuccessRate: 0,
      scoreWeights: { success: 0.7, latency: 0.3 },
    });
    health.recordSuccess(100);
    health.recordFailure('server_error', 5);
    health.recordFailure('server_error', 5);
    expect(health.status).toBe('unhealthy');
    health.recordProbeSuccess();
    const snap = health.snapshot();
    expect(snap.status).toBe('healthy');
    expect(snap.consecutiveFailures).toBe(0);
    expect(snap.samples).toBe(4);
    expect(snap.successRate).toBe(0.5);
    expect(snap.latencyEwmaMs).toBe(100);
    expect(snap.latencyP50Ms).toBe(100);
    expect(snap.lastSuccessAt).toBeDefined();
  });
});

describe('ActiveProber', () => {
  it('rejects out-of-range options', async () => {
    const s = await setup(['a']);
    try {
      const base: ProbeOptions = { intervalMs: 100, timeoutMs: 100, jitter: 0, mode: 'models' };
      expect(() => new ActiveProber(s.runtime, { ...base, intervalMs: 0 })).toThrow(RangeError);
      expect(() => new ActiveProber(s.runtime, { ...base, timeoutMs: -1 })).toThrow(RangeError);
      expect(() => new ActiveProber(s.runtime, { ...base, jitter: 1.5 })).toThrow(RangeError);
    } finally {
      await s.close();
    }
  });

  describe('models mode', () => {
    it('lists models once per provider with its key and counts a success on each deployment', async () => {
      const s = await setup(['a']);
      try {
        await s.prober.probeOnce();
        const [request] = s.mocks[0]!.requests;
        expect(request).toMatchObject({ method: 'GET', path: '/v1/models', apiKey: 'sk-a-key-0001' });
        const snap = s.deployment('a').health.snapshot();
        expect(snap.samples).toBe(1);
        expect(snap.successRate).toBe(1);
        expect(snap.latencyEwmaMs).toBeUndefined();
      } finally {
        await s.close();
      }
    });

    it('records a failure with the status and provider message, never the key', async () => {
      const s = await setup(['a'], {}, { unhealthyAfter: 1 }, ['sk-the-right-key-9999']);
      try {
        await s.prober.probeOnce();
        const snap = s.deployment('a').health.snapshot();
        expect(snap.status).toBe('unhealthy');
        expect(snap.lastError).toMatch(/^probe: HTTP 401: Incorrect API key provided/);
        expect(snap.lastError).not.toContain('0001');
        expect(snap.lastError).not.toContain('sk-a-key');
      } finally {
        await s.close();
      }
    });

    it('takes a 404 from /models as no information', async () => {
      const s = await setup(['a']);
      try {
        s.mocks[0]!.setDefault(fault.status(404));
        await s.prober.probeOnce();
        expect(s.mocks[0]!.requests).toHaveLength(1);
        expect(s.deployment('a').health.snapshot().samples).toBe(0);
      } finally {
        await s.close();
      }
    });

    it('does not start a second probe of a provider while one is in flight', async () => {
      const s = await setup(['a']);
      try {
        s.mocks[0]!.setDefault(fault.ok({ latencyMs: 50 }));
        await Promise.all([s.prober.probeOnce(), s.prober.probeOnce()]);
        expect(s.mocks[0]!.requests).toHaveLength(1);
      } finally {
        await s.close();
      }
    });
  });

  describe('completion mode', () => {
    it('asks each deployment for one token and records the latency as completion latency', async () => {
      const s = await setup(['a', 'b'], { mode: 'completion' });
      try {
        s.mocks[0]!.setDefault(fault.ok({ latencyMs: 30 }));
        await s.prober.probeOnce();
        expect(s.mocks[0]!.requests[0]).toMatchObject({
          method: 'POST',
          path: '/v1/chat/completions',
          body: { model: 'a-model', messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 },
        });
        expect(s.mocks[1]!.requests[0]!.body).toMatchObject({ model: 'b-model' });
        const ewma = s.deployment('a').health.latencyEwmaMs;
        expect(ewma).toBeGreaterThanOrEqual(30);
        expect(s.deployment('b').health.latencyEwmaMs).toBeDefined();
      } finally {
        await s.close();
      }
    });

    it('makes a deployment slower than its degradedLatencyMs degraded', async () => {
      const s = await setup(['a'], { mode: 'completion' }, { degradedLatencyMs: 20 });
      try {
        s.mocks[0]!.setDefault(fault.ok({ latencyMs: 40 }));
        await s.prober.probeOnce();
        expect(s.deployment('a').status(Date.now())).toBe('degraded');
      } finally {
        await s.close();
      }
    });
  });

  it('sees a provider go down within two intervals, without user traffic, and come back', async () => {
    const s = await setup(['a']);
    try {
      s.prober.start();
      const a = s.deployment('a');
      await waitFor(() => a.health.snapshot().samples >= 1, INTERVAL * 2);
      s.mocks[0]!.setDefault(fault.status(503));
      const down = await waitFor(() => a.status(Date.now()) === 'unhealthy', INTERVAL * 4);
      // unhealthyAfter 2: two probes, each at most interval × 1.1 apart, plus their own time.
      expect(down).toBeLessThanOrEqual(INTERVAL * 2 * 1.1 + 80);
      expect(a.health.snapshot().lastError).toMatch(/^probe: HTTP 503/);
      s.mocks[0]!.setDefault(fault.ok());
      await waitFor(() => a.status(Date.now()) !== 'unhealthy', INTERVAL * 3);
      await waitFor(() => a.status(Date.now()) === 'healthy', INTERVAL * 6);
    } finally {
      await s.close();
    }
  });

  it('never piles probes up on a provider that hangs', async () => {
    const timeoutMs = 150;
    const s = await setup(['a'], { intervalMs: 50, timeoutMs, jitter: 0 });
    try {
      s.mocks[0]!.setDefault(fault.hang());
      const started = Date.now();
      s.prober.start();
      await delay(700);
      await s.prober.close();
      const elapsed = Date.now() - started;
      const requests = s.mocks[0]!.requests;
      // Each round takes the probe's timeout plus the interval.
      expect(requests.length).toBeGreaterThanOrEqual(2);
      expect(requests.length).toBeLessThanOrEqual(Math.ceil(elapsed / (timeoutMs + 50)) + 1);
      for (let i = 1; i < requests.length; i++) {
        expect(requests[i]!.receivedAt).toBeGreaterThanOrEqual(requests[i - 1]!.endedAt!);
      }
      expect(s.deployment('a').health.snapshot().lastError).toBe(`probe: no answer within ${timeoutMs}ms`);
      expect(s.deployment('a').status(Date.now())).toBe('unhealthy');
    } finally {
      await s.close();
    }
  });

  it('close() during a hung probe aborts it and leaves no timer behind', async () => {
    const s = await setup(['a'], { intervalMs: 50, timeoutMs: 5000, jitter: 0 });
    try {
      s.mocks[0]!.setDefault(fault.hang());
      s.prober.start();
      await s.mocks[0]!.waitForRequests(1);
      // The probe's own clock is the one referenced timer the prober holds while it waits.
      const during = timeouts();
      await s.prober.close();
      expect(timeouts()).toBe(during - 1);
      const aborted = await s.mocks[0]!.waitForAbort();
      expect(aborted.path).toBe('/v1/models');
      // An aborted probe proves nothing, and nothing runs after close.
      expect(s.deployment('a').health.snapshot().samples).toBe(0);
      await delay(150);
      expect(s.mocks[0]!.requests).toHaveLength(1);
      await s.prober.close();
    } finally {
      await s.close();
    }
  });

  it('does nothing after close', async () => {
    const s = await setup(['a']);
    try {
      await s.prober.close();
      s.prober.start();
      await s.prober.probeOnce();
      await delay(INTERVAL);
      expect(s.mocks[0]!.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it.each(['models', 'completion'] as const)(
    'closes an open breaker on a successful probe (%s)',
    async (mode) => {
      const s = await setup(['a'], { mode });
      try {
        const a = s.deployment('a');
        // Five failures in a row open it.
        for (let i = 0; i < 5; i++) a.breaker.record(a.breaker.begin(), 'server_error');
        expect(a.breaker.state).toBe('open');
        expect(readiness(s.runtime, false).httpStatus).toBe(503);
        await s.prober.probeOnce();
        expect(a.breaker.state).toBe('closed');
        expect(readiness(s.runtime, false).httpStatus).toBe(200);
      } finally {
        await s.close();
      }
    },
  );

  it('readiness turns 503 when probes take a group’s last deployment, and 200 after recovery', async () => {
    const s = await setup(['a', 'b'], {}, { unhealthyAfter: 1 });
    try {
      const [a, b] = s.mocks as [MockProvider, MockProvider];
      a.setDefault(fault.status(503));
      await s.prober.probeOnce();
      expect(readiness(s.runtime, false)).toMatchObject({
        ready: true,
        httpStatus: 200,
        models: { chat: { ready: true, usable: 1 } },
      });
      b.setDefault(fault.reset());
      await s.prober.probeOnce();
      expect(s.deployment('b').health.snapshot().lastError).toMatch(/^probe: /);
      expect(readiness(s.runtime, false)).toMatchObject({
        ready: false,
        httpStatus: 503,
        models: { chat: { ready: false, usable: 0 } },
      });
      b.setDefault(fault.ok());
      await s.prober.probeOnce();
      expect(readiness(s.runtime, false)).toMatchObject({
        ready: true,
        httpStatus: 200,
        models: { chat: { ready: true, usable: 1 } },
      });
      a.setDefault(fault.ok());
      await s.prober.probeOnce();
      expect(readiness(s.runtime, false).models.chat!.usable).toBe(2);
    } finally {
      await s.close();
    }
  });
});
