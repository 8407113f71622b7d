import type { AttemptOutcome, HealthStatus } from '../types';
import { PassiveHealth, type PassiveHealthOptions } from './passive';

const DEFAULTS: PassiveHealthOptions = {
  windowSize: 100,
  ewmaAlpha: 0.3,
  degradedLatencyMs: 1000,
  unhealthyAfter: 3,
  degradedSuccessRate: 0.9,
  scoreWeights: { success: 0.7, latency: 0.3 },
};

function make(overrides: Partial<PassiveHealthOptions> = {}, start = 0) {
  let clock = start;
  const health = new PassiveHealth({ ...DEFAULTS, ...overrides }, () => clock);
  return {
    health,
    tick(ms: number) {
      clock += ms;
    },
  };
}

describe('PassiveHealth', () => {
  describe('with no sample', () => {
    it('is healthy with score 1 and no figures', () => {
      const { health } = make();
      expect(health.status).toBe('healthy');
      expect(health.score).toBe(1);
      expect(health.latencyEwmaMs).toBeUndefined();
      expect(health.consecutiveFailures).toBe(0);
      expect(health.snapshot()).toEqual({
        status: 'healthy',
        score: 1,
        latencyEwmaMs: undefined,
        latencyP50Ms: undefined,
        latencyP95Ms: undefined,
        successRate: undefined,
        samples: 0,
        consecutiveFailures: 0,
        lastError: undefined,
        lastCheckedAt: undefined,
        lastSuccessAt: undefined,
        lastFailureAt: undefined,
      });
    });
  });

  describe('status', () => {
    it('becomes unhealthy after 3 consecutive failures and healthy again on a success', () => {
      const { health } = make();
      health.recordFailure('server_error', 100);
      health.recordFailure('timeout', undefined);
      expect(health.status).toBe('healthy');
      expect(health.consecutiveFailures).toBe(2);
      health.recordFailure('connection_error', undefined);
      expect(health.status).toBe('unhealthy');
      expect(health.consecutiveFailures).toBe(3);
      health.recordSuccess(100);
      expect(health.consecutiveFailures).toBe(0);
      expect(health.status).toBe('healthy');
    });

    it('becomes degraded when the EWMA passes degradedLatencyMs', () => {
      const { health } = make({ ewmaAlpha: 0.5 });
      health.recordSuccess(400);
      expect(health.latencyEwmaMs).toBe(400);
      health.recordSuccess(1600); // 0.5 × 1600 + 0.5 × 400 = 1000: not above
      expect(health.latencyEwmaMs).toBe(1000);
      expect(health.status).toBe('healthy');
      health.recordSuccess(1800); // 1400
      expect(health.latencyEwmaMs).toBe(1400);
      expect(health.status).toBe('degraded');
      health.recordSuccess(200); // 800
      expect(health.status).toBe('healthy');
    });

    it('updates the EWMA on successes only', () => {
      const { health } = make({ ewmaAlpha: 0.3 });
      health.recordSuccess(100);
      health.recordFailure('timeout', 30_000);
      expect(health.latencyEwmaMs).toBe(100);
      health.recordSuccess(200);
      expect(health.latencyEwmaMs).toBeCloseTo(0.3 * 200 + 0.7 * 100);
    });

    it('becomes degraded on a low success rate once there are 5 samples', () => {
      const { health } = make({ unhealthyAfter: 10 });
      health.recordSuccess(10);
      health.recordFailure('server_error', 10);
      health.recordSuccess(10);
      health.recordFailure('server_error', 10);
      expect(health.status).toBe('healthy'); // 4 samples: too few to judge
      health.recordSuccess(10);
      expect(health.status).toBe('degraded'); // 3 / 5 < 0.9
      for (let i = 0; i < 22; i++) health.recordSuccess(10);
      expect(health.snapshot().successRate).toBeCloseTo(25 / 27);
      expect(health.status).toBe('healthy');
    });

    it('judges the success rate of a window smaller than 5 once it is full', () => {
      const { health } = make({ windowSize: 3, unhealthyAfter: 10 });
      health.recordSuccess(10);
      health.recordFailure('server_error', 10);
      expect(health.status).toBe('healthy');
      health.recordSuccess(10);
      expect(health.status).toBe('degraded');
    });

    it('puts unhealthy before degraded', () => {
      const { health } = make();
      health.recordSuccess(5_000);
      expect(health.status).toBe('degraded');
      for (let i = 0; i < 3; i++) health.recordFailure('server_error', 10);
      expect(health.status).toBe('unhealthy');
    });
  });

  describe('success rate', () => {
    it('is computed over a window that wraps', () => {
      const { health } = make({ windowSize: 10, unhealthyAfter: 100 });
      for (let i = 0; i < 10; i++) health.recordFailure('server_error', 10);
      expect(health.snapshot()).toMatchObject({ successRate: 0, samples: 10 });
      for (let i = 0; i < 7; i++) health.recordSuccess(10);
      expect(health.snapshot()).toMatchObject({ successRate: 0.7, samples: 10 });
      for (let i = 0; i < 3; i++) health.recordSuccess(10);
      expect(health.snapshot()).toMatchObject({ successRate: 1, samples: 10 });
      health.recordFailure('bad_response', 10);
      expect(health.snapshot()).toMatchObject({ successRate: 0.9, samples: 10 });
    });
  });

  describe('latency percentiles', () => {
    it('gives nearest-rank p50 and p95 of the successes in the window', () => {
      const { health } = make({ windowSize: 20 });
      for (let latency = 20; latency >= 1; latency--) health.recordSuccess(latency * 10);
      const snapshot = health.snapshot();
      expect(snapshot.latencyP50Ms).toBe(100);
      expect(snapshot.latencyP95Ms).toBe(190);
    });

    it('uses only the window, and leaves failures out', () => {
      const { health } = make({ windowSize: 4, unhealthyAfter: 100 });
      health.recordSuccess(9_999); // will fall out of the window
      health.recordSuccess(300);
      health.recordSuccess(100);
      health.recordFailure('timeout', 60_000);
      health.recordSuccess(200);
      const snapshot = health.snapshot();
      expect(snapshot.samples).toBe(4);
      expect(snapshot.latencyP50Ms).toBe(200);
      expect(snapshot.latencyP95Ms).toBe(300);
    });
  });

  describe('score', () => {
    it('follows the weighted formula', () => {
      const { health } = make({ windowSize: 10, ewmaAlpha: 1, degradedLatencyMs: 1000, unhealthyAfter: 100 });
      health.recordSuccess(500); // latency score 1 (≤ 500), success rate 1
      expect(health.score).toBeCloseTo(1);
      health.recordSuccess(1250); // latency score (2000 − 1250) / 1500 = 0.5
      expect(health.score).toBeCloseTo(0.7 + 0.3 * 0.5);
      health.recordFailure('server_error', 10);
      health.recordFailure('server_error', 10); // success rate 2 / 4
      expect(health.score).toBeCloseTo(0.7 * 0.5 + 0.3 * 0.5);
      health.recordSuccess(2000); // latency score 0, success rate 3 / 5
      expect(health.score).toBeCloseTo(0.7 * 0.6);
      health.recordSuccess(9000); // still 0 above 2 × degradedLatencyMs
      expect(health.score).toBeCloseTo(0.7 * (4 / 6));
      expect(health.snapshot().score).toBe(health.score);
    });

    it('counts the latency part as 1 when only failures were seen', () => {
      const { health } = make({ unhealthyAfter: 100 });
      health.recordFailure('server_error', 10);
      expect(health.score).toBeCloseTo(0.3);
    });

    it('stays within [0, 1]', () => {
      const { health } = make({ scoreWeights: { success: 0.8, latency: 0.4 } });
      expect(health.score).toBe(1);
    });
  });

  describe('outcomes', () => {
    it.each<AttemptOutcome>(['client_error', 'context_length', 'aborted'])('ignores %s', (outcome) => {
      const { health } = make({ unhealthyAfter: 1 });
      health.recordFailure(outcome, 100, 'caller at fault');
      expect(health.status).toBe('healthy');
      expect(health.snapshot()).toMatchObject({
        samples: 0,
        consecutiveFailures: 0,
        lastError: undefined,
        lastFailureAt: undefined,
        lastCheckedAt: undefined,
      });
    });

    it('counts rate_limited in the window but not as a consecutive failure', () => {
      const { health } = make({ unhealthyAfter: 2 });
      health.recordFailure('server_error', 10);
      for (let i = 0; i < 5; i++) health.recordFailure('rate_limited', 10, '429');
      expect(health.consecutiveFailures).toBe(1);
      expect(health.snapshot()).toMatchObject({ samples: 6, successRate: 0, lastError: '429' });
      expect(health.status).toBe('degraded');
    });

    it('records last error and timestamps', () => {
      const { health, tick } = make({}, 1_000);
      health.recordSuccess(50);
      tick(100);
      health.recordFailure('server_error', 20, 'HTTP 503 from upstream');
      tick(100);
      health.recordFailure('timeout', undefined);
      expect(health.snapshot()).toMatchObject({
        lastError: 'timeout',
        lastSuccessAt: 1_000,
        lastFailureAt: 1_200,
        lastCheckedAt: 1_200,
      });
      tick(50);
      health.recordFailure('server_error', 20, 'HTTP 500');
      health.recordSuccess(40);
      expect(health.snapshot()).toMatchObject({
        lastError: 'HTTP 500',
        lastSuccessAt: 1_250,
        lastFailureAt: 1_250,
        lastCheckedAt: 1_250,
      });
    });

    it('keeps a success counted but the EWMA untouched for an invalid latency', () => {
      const { health } = make();
      health.recordSuccess(100);
      health.recordSuccess(Number.NaN);
      health.recordSuccess(-5);
      expect(health.latencyEwmaMs).toBe(100);
      expect(health.snapshot()).toMatchObject({ samples: 3, successRate: 1, latencyP50Ms: 100 });
    });

    it('takes a success passed to recordFailure as a success', () => {
      const { health } = make();
      health.recordFailure('server_error', 10);
      health.recordFailure('success', 80);
      expect(health.consecutiveFailures).toBe(0);
      expect(health.latencyEwmaMs).toBe(80);
    });
  });

  describe('onStatusChange', () => {
    it('fires only on a change, with next and previous', () => {
      const { health } = make();
      const seen: Array<[HealthStatus, HealthStatus]> = [];
      health.onStatusChange((next, previous) => seen.push([next, previous]));
      health.recordSuccess(100);
      health.recordFailure('server_error', 10);
      health.recordFailure('server_error', 10);
      expect(seen).toEqual([]);
      health.recordFailure('server_error', 10);
      expect(seen).toEqual([['unhealthy', 'healthy']]);
      health.recordFailure('server_error', 10);
      expect(seen).toHaveLength(1);
      health.recordSuccess(5_000);
      expect(seen).toEqual([
        ['unhealthy', 'healthy'],
        ['degraded', 'unhealthy'],
      ]);
    });

    it('fires synchronously, with the new status already readable', () => {
      const { health } = make({ unhealthyAfter: 1 });
      let during: HealthStatus | undefined;
      health.onStatusChange(() => {
        during = health.status;
      });
      health.recordFailure('server_error', 10);
      expect(during).toBe('unhealthy');
    });

    it('stops after the disposer runs, other listeners continuing', () => {
      const { health } = make({ unhealthyAfter: 1 });
      const first = jest.fn();
      const second = jest.fn();
      const disposeFirst = health.onStatusChange(first);
      health.onStatusChange(second);
      health.recordFailure('server_error', 10);
      expect(first).toHaveBeenCalledTimes(1);
      disposeFirst();
      disposeFirst();
      health.recordSuccess(10);
      expect(first).toHaveBeenCalledTimes(1);
      expect(second).toHaveBeenCalledTimes(2);
    });

    it('lets a listener dispose itself without skipping the next one', () => {
      const { health } = make({ unhealthyAfter: 1 });
      const calls: string[] = [];
      const dispose = health.onStatusChange(() => {
        calls.push('self');
        dispose();
      });
      health.onStatusChange(() => calls.push('other'));
      health.recordFailure('server_error', 10);
      health.recordSuccess(10);
      expect(calls).toEqual(['self', 'other', 'other']);
    });

    it('keeps a throwing listener away from the recording caller', () => {
      const errors: unknown[] = [];
      const health = new PassiveHealth({ ...DEFAULTS, unhealthyAfter: 1 }, Date.now, (e) => errors.push(e));
      const after = jest.fn();
      health.onStatusChange(() => {
        throw new Error('listener bug');
      });
      health.onStatusChange(after);
      expect(() => health.recordFailure('server_error', 10)).not.toThrow();
      expect(after).toHaveBeenCalledWith('unhealthy', 'healthy');
      expect(errors).toEqual([new Error('listener bug')]);
      expect(health.status).toBe('unhealthy');
    });
  });

  describe('reset', () => {
    it('forgets every sample and reports the change', () => {
      const { health } = make({ unhealthyAfter: 1 });
      const listener = jest.fn();
      health.recordSuccess(3_000);
      health.recordFailure('server_error', 10, 'boom');
      health.onStatusChange(listener);
      health.reset();
      expect(listener).toHaveBeenCalledWith('healthy', 'unhealthy');
      expect(health.snapshot()).toEqual(make().health.snapshot());
      health.reset();
      expect(listener).toHaveBeenCalledTimes(1);
    });
  });
});
