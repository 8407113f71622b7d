import { resolveConfig } from '../config';
import { Runtime } from '../engine/runtime';
import { Events } from '../events';
import { buildHealthReport, readiness } from './report';

describe('health report', () => {
  const config = resolveConfig({
    providers: [
      { id: 'a', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-a-0001' },
      { id: 'b', baseUrl: 'http://127.0.0.1:9/v1' },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
  });
  let runtime: Runtime;
  beforeEach(() => {
    runtime = new Runtime(config, new Events());
  });
  afterEach(async () => {
    await runtime.close();
  });

  test.each([1e300, 8.64e15 + 1, Number.POSITIVE_INFINITY, Number.MAX_VALUE])(
    'never throws on a stored time of %p (a cooldown no Date can hold)',
    (until) => {
      const a = runtime.deployments.get('a/m')!;
      const b = runtime.deployments.get('b/m')!;
      a.provider.keys.coolDown(0, until);
      b.cooldownUntil = until;
      const report = buildHealthReport(runtime, Date.now());
      expect(report.deployments.map((d) => [d.id, d.usable, d.availableAt])).toEqual([
        ['a/m', false, null],
        ['b/m', false, null],
      ]);
      expect(report.httpStatus).toBe(503);
      expect(readiness(runtime, false).httpStatus).toBe(503);
    },
  );
});
