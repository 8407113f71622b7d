import { nearestRank, OutcomeWindow } from './window';

describe('OutcomeWindow', () => {
  it('starts empty', () => {
    const window = new OutcomeWindow(4);
    expect(window.size).toBe(0);
    expect(window.successes).toBe(0);
    expect(window.failures).toBe(0);
    expect(window.successRate).toBeUndefined();
    expect(window.latencies()).toEqual(new Float64Array(0));
  });

  it('counts outcomes until full', () => {
    const window = new OutcomeWindow(4);
    window.record(true, 10);
    window.record(false, 20);
    window.record(true, 30);
    expect(window.size).toBe(3);
    expect(window.successes).toBe(2);
    expect(window.failures).toBe(1);
    expect(window.successRate).toBeCloseTo(2 / 3);
  });

  it('drops the oldest outcomes once it wraps', () => {
    const window = new OutcomeWindow(3);
    window.record(false, 1);
    window.record(false, 2);
    window.record(true, 3);
    expect(window.successRate).toBeCloseTo(1 / 3);
    window.record(true, 4); // evicts the first failure
    expect(window.size).toBe(3);
    expect(window.successRate).toBeCloseTo(2 / 3);
    window.record(true, 5); // evicts the second failure
    expect(window.successRate).toBe(1);
    window.record(false, 6); // evicts a success
    expect(window.successRate).toBeCloseTo(2 / 3);
    for (let i = 0; i < 10; i++) window.record(i % 2 === 0, i);
    expect(window.size).toBe(3);
    expect(window.successes).toBe(1); // last three: i = 7 (fail), 8 (ok), 9 (fail)
    expect([...window.latencies(false)].sort((a, b) => a - b)).toEqual([7, 8, 9]);
    expect([...window.latencies()]).toEqual([8]);
  });

  it('leaves unknown latencies out of the copies', () => {
    const window = new OutcomeWindow(5);
    window.record(true, Number.NaN);
    window.record(false, Number.NaN);
    window.record(true, 42);
    window.record(false, 7);
    expect([...window.latencies()]).toEqual([42]);
    expect([...window.latencies(false)].sort((a, b) => a - b)).toEqual([7, 42]);
  });

  it('clears', () => {
    const window = new OutcomeWindow(2);
    window.record(true, 1);
    window.record(false, 2);
    window.record(false, 3);
    window.clear();
    expect(window.size).toBe(0);
    expect(window.successRate).toBeUndefined();
    window.record(true, 9);
    expect(window.successRate).toBe(1);
    expect([...window.latencies()]).toEqual([9]);
  });

  it('works with a capacity of one', () => {
    const window = new OutcomeWindow(1);
    window.record(true, 1);
    window.record(false, 2);
    expect(window.size).toBe(1);
    expect(window.successRate).toBe(0);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects capacity %p', (capacity) => {
    expect(() => new OutcomeWindow(capacity)).toThrow(RangeError);
  });
});

describe('nearestRank', () => {
  const oneToTen = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  it('picks the nearest-rank value', () => {
    expect(nearestRank(oneToTen, 50)).toBe(5);
    expect(nearestRank(oneToTen, 95)).toBe(10);
    expect(nearestRank(oneToTen, 90)).toBe(9);
    expect(nearestRank(oneToTen, 0)).toBe(1);
    expect(nearestRank(oneToTen, 100)).toBe(10);
    expect(nearestRank([15, 20, 35, 40, 50], 30)).toBe(20);
    expect(nearestRank([15, 20, 35, 40, 50], 40)).toBe(20);
  });

  it('returns undefined with no value', () => {
    expect(nearestRank([], 50)).toBeUndefined();
  });

  it('returns the only value of one', () => {
    expect(nearestRank([7], 50)).toBe(7);
    expect(nearestRank([7], 95)).toBe(7);
  });
});
