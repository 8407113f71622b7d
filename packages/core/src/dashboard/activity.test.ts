import { Activity, DASHBOARD_HISTORY_SIZE, RateCounter, Ring } from './activity';

describe('Ring', () => {
  test('keeps the newest items, oldest first', () => {
    const ring = new Ring<number>(3);
    expect(ring.toArray()).toEqual([]);
    ring.push(1);
    ring.push(2);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
  });
});

describe('RateCounter', () => {
  const t0 = 1_700_000_000_000;

  test('counts events per second over the last five seconds', () => {
    const rate = new RateCounter(5, t0 - 60_000);
    for (let s = 0; s < 5; s++) for (let i = 0; i < 10; i++) rate.add(t0 + s * 1000 + i);
    // Five seconds of 10 events each, read at the end of the fifth second.
    expect(rate.rate(t0 + 4999)).toBeCloseTo(10, 0);
    // Ten seconds later nothing is left in the window.
    expect(rate.rate(t0 + 15_000)).toBe(0);
  });

  test('a counter younger than its window divides by its age, and by at least one second', () => {
    const rate = new RateCounter(5, t0);
    for (let i = 0; i < 4; i++) rate.add(t0 + 100);
    expect(rate.rate(t0 + 200)).toBe(4);
    expect(rate.rate(t0 + 2000)).toBe(2);
  });

  test('old buckets are reused for new seconds', () => {
    const rate = new RateCounter(2, t0 - 10_000);
    rate.add(t0);
    rate.add(t0 + 3000);
    expect(rate.rate(t0 + 3500)).toBeCloseTo(1 / 1.5, 2);
  });
});

describe('Activity', () => {
  test('counts successes, errors and failovers; keeps the last failovers and changes', () => {
    const activity = new Activity(Date.parse('2030-01-01T00:00:00Z'));
    activity.success();
    activity.success();
    activity.error();
    for (let i = 0; i < DASHBOARD_HISTORY_SIZE + 5; i++) {
      activity.failover({
        at: 't',
        requestId: `r${i}`,
        model: 'chat',
        from: 'a/m',
        reason: 'timeout',
        status: null,
      });
    }
    activity.change({ kind: 'breaker', at: 't', deployment: 'a/m', state: 'open' });
    const counters = activity.counters();
    expect(counters).toMatchObject({
      since: '2030-01-01T00:00:00.000Z',
      requests: 3,
      successes: 2,
      errors: 1,
    });
    expect(counters.failovers).toBe(DASHBOARD_HISTORY_SIZE + 5);
    const failovers = activity.failovers();
    expect(failovers).toHaveLength(DASHBOARD_HISTORY_SIZE);
    expect(failovers[0]?.requestId).toBe('r5');
    expect(failovers.at(-1)?.requestId).toBe(`r${DASHBOARD_HISTORY_SIZE + 4}`);
    expect(activity.changes()).toEqual([{ kind: 'breaker', at: 't', deployment: 'a/m', state: 'open' }]);
  });
});
