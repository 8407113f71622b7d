import { candidate, ids, mulberry32 } from './__tests__/fixtures';
import { WeightedStrategy } from './weighted';

describe('WeightedStrategy', () => {
  it('draws first picks in proportion to weight (±3 points over 20 000 calls)', () => {
    const input = [
      candidate('a/1', { weight: 1 }),
      candidate('b/1', { weight: 2 }),
      candidate('c/1', { weight: 3 }),
      candidate('d/1', { weight: 4 }),
    ];
    const strategy = new WeightedStrategy({ random: mulberry32(42) });
    const firsts = new Map<string, number>();
    const calls = 20_000;
    for (let i = 0; i < calls; i++) {
      const id = strategy.order(input)[0].deployment.id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    const expected: Record<string, number> = { 'a/1': 10, 'b/1': 20, 'c/1': 30, 'd/1': 40 };
    for (const [id, share] of Object.entries(expected)) {
      expect(Math.abs(((firsts.get(id) ?? 0) / calls) * 100 - share)).toBeLessThanOrEqual(3);
    }
  });

  it('draws the second pick among the rest in proportion to weight', () => {
    const input = [
      candidate('a/1', { weight: 8 }),
      candidate('b/1', { weight: 1 }),
      candidate('c/1', { weight: 1 }),
    ];
    const strategy = new WeightedStrategy({ random: mulberry32(3) });
    let bSecondAfterA = 0;
    let aFirst = 0;
    for (let i = 0; i < 20_000; i++) {
      const order = ids(strategy.order(input));
      if (order[0] === 'a/1') {
        aFirst++;
        if (order[1] === 'b/1') bSecondAfterA++;
      }
    }
    expect(Math.abs(aFirst / 20_000 - 0.8)).toBeLessThan(0.03);
    expect(Math.abs(bSecondAfterA / aFirst - 0.5)).toBeLessThan(0.03);
  });

  it('follows the random draw over cumulative weights', () => {
    const input = [candidate('a/1', { weight: 1 }), candidate('b/1', { weight: 3 })];
    expect(ids(new WeightedStrategy({ random: () => 0 }).order(input))).toEqual(['a/1', 'b/1']);
    expect(ids(new WeightedStrategy({ random: () => 0.24 }).order(input))).toEqual(['a/1', 'b/1']);
    expect(ids(new WeightedStrategy({ random: () => 0.25 }).order(input))).toEqual(['b/1', 'a/1']);
    expect(ids(new WeightedStrategy({ random: () => 0.999999 }).order(input))).toEqual(['b/1', 'a/1']);
  });

  it('puts weight-0 and invalid weights last, in input order, without drawing for them', () => {
    const input = [
      candidate('z1/1', { weight: 0 }),
      candidate('a/1', { weight: 1 }),
      candidate('z2/1', { weight: Number.NaN }),
      candidate('z3/1', { weight: -2 }),
    ];
    let draws = 0;
    const strategy = new WeightedStrategy({
      random: () => {
        draws++;
        return 0.5;
      },
    });
    expect(ids(strategy.order(input))).toEqual(['a/1', 'z1/1', 'z2/1', 'z3/1']);
    expect(draws).toBe(0);
  });

  it('keeps input order when every weight is 0', () => {
    const input = [candidate('a/1', { weight: 0 }), candidate('b/1', { weight: 0 })];
    expect(ids(new WeightedStrategy().order(input))).toEqual(['a/1', 'b/1']);
  });

  it('draws n - 1 times for n positive weights', () => {
    const input = [candidate('a/1'), candidate('b/1'), candidate('c/1')];
    let draws = 0;
    const strategy = new WeightedStrategy({
      random: () => {
        draws++;
        return 0.1;
      },
    });
    strategy.order(input);
    expect(draws).toBe(2);
  });

  it('survives a random source that returns values at the edge of [0, 1)', () => {
    const input = [
      candidate('a/1', { weight: 0.1 }),
      candidate('b/1', { weight: 0.2 }),
      candidate('c/1', { weight: 0.3 }),
    ];
    const ordered = new WeightedStrategy({ random: () => 1 - Number.EPSILON }).order(input);
    expect(ids(ordered).sort()).toEqual(['a/1', 'b/1', 'c/1']);
    expect(ordered[0].deployment.id).toBe('c/1');
  });
});
