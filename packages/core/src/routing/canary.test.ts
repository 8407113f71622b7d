import { type CanaryChange, CanaryController, type CanaryRollbackRules } from './canary';

const T0 = 1_700_000_000_000;
const RULES: CanaryRollbackRules = { errorRate: 0.05, p99Ms: 5000, windowMs: 60_000, minCalls: 20 };

function canary(percent = 20, rules: CanaryRollbackRules | null = RULES) {
  const changes: CanaryChange[] = [];
  const controller = new CanaryController('chat', 'canary/m', percent, rules ?? undefined, (c) =>
    changes.push(c),
  );
  return { controller, changes };
}

describe('CanaryController', () => {
  test('random draws give the canary its share', () => {
    const { controller } = canary(20);
    let seq = 0;
    const random = () => (seq++ % 100) / 100;
    let picked = 0;
    for (let i = 0; i < 1000; i++) if (controller.picks(undefined, random)) picked++;
    expect(picked).toBe(200);
  });

  test('an affinity key always lands on the same side; raising the share only adds keys', () => {
    const { controller } = canary(20);
    const never = () => {
      throw new Error('no random draw with a key');
    };
    const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const inAt20 = keys.filter((k) => controller.picks(k, never));
    expect(inAt20.length / keys.length).toBeGreaterThan(0.17);
    expect(inAt20.length / keys.length).toBeLessThan(0.23);
    for (const key of inAt20) expect(controller.picks(key, never)).toBe(true);
    controller.setPercent(50, T0);
    for (const key of inAt20) expect(controller.picks(key, never)).toBe(true);
    expect(keys.filter((k) => controller.picks(k, never)).length / keys.length).toBeGreaterThan(0.45);
  });

  test('an error rate above the limit rolls it back once the window holds enough calls', () => {
    const { controller, changes } = canary(20);
    // 30 % failures, but no verdict before 20 calls.
    for (let i = 0; i < 19; i++) controller.record(i % 10 >= 3, 100, T0 + i);
    expect(controller.percent).toBe(20);
    controller.record(true, 100, T0 + 19);
    expect(controller.percent).toBe(0);
    expect(controller.state).toBe('rolled-back');
    expect(changes).toEqual([
      expect.objectContaining({
        model: 'chat',
        deployment: 'canary/m',
        action: 'rollback',
        automatic: true,
        reason: 'error_rate',
        percent: 0,
        previousPercent: 20,
        calls: 20,
        errorRate: 0.3,
      }),
    ]);
    expect(controller.picks(undefined, () => 0)).toBe(false);
  });

  test('a p99 above the limit rolls it back; one slow call in a hundred does not', () => {
    const { controller, changes } = canary(20);
    for (let i = 0; i < 100; i++) controller.record(true, 200, T0 + i);
    controller.record(true, 9000, T0 + 100);
    expect(changes).toEqual([]);
    controller.record(true, 9000, T0 + 101);
    expect(changes).toEqual([
      expect.objectContaining({ reason: 'latency', action: 'rollback', p99Ms: 9000 }),
    ]);
  });

  test('calls that left the window no longer count', () => {
    const { controller, changes } = canary(20);
    for (let i = 0; i < 10; i++) controller.record(false, 100, T0);
    for (let i = 0; i < 30; i++) controller.record(true, 100, T0 + 61_000);
    expect(changes).toEqual([]);
    expect(controller.status(T0 + 61_000)).toEqual(
      expect.objectContaining({ calls: 30, errorRate: 0, percent: 20, state: 'active' }),
    );
  });

  test('healthy calls keep the share', () => {
    const { controller, changes } = canary(20);
    for (let i = 0; i < 500; i++) controller.record(i % 50 !== 0, 300, T0 + i * 10);
    expect(changes).toEqual([]);
    expect(controller.percent).toBe(20);
  });

  test('promote, rollback and setPercent change the share and say so', () => {
    const { controller, changes } = canary(10);
    controller.promote(T0);
    expect(controller.state).toBe('promoted');
    expect(controller.picks(undefined, () => 0.99)).toBe(true);
    // A promoted canary is no longer rolled back by the rules.
    for (let i = 0; i < 30; i++) controller.record(false, 100, T0 + i);
    expect(controller.percent).toBe(100);
    controller.rollback(T0 + 100);
    controller.setPercent(5, T0 + 200);
    expect(controller.state).toBe('active');
    expect(changes.map((c) => [c.action, c.percent, c.previousPercent, c.automatic])).toEqual([
      ['promote', 100, 10, false],
      ['rollback', 0, 100, false],
      ['percent', 5, 0, false],
    ]);
    // Set back to active, it starts from an empty window.
    expect(controller.status(T0 + 200)).toEqual(expect.objectContaining({ calls: 0, errorRate: null }));
  });

  test('without rules it never rolls back by itself', () => {
    const { controller, changes } = canary(20, null);
    for (let i = 0; i < 100; i++) controller.record(false, 60_000, T0 + i);
    expect(changes).toEqual([]);
    expect(controller.status(T0 + 100)).toEqual(expect.objectContaining({ calls: 100, errorRate: 1 }));
  });
});
