import { candidate, ids } from './__tests__/fixtures';
import { RoundRobinStrategy } from './round-robin';

describe('RoundRobinStrategy', () => {
  const a = candidate('a/1');
  const b = candidate('b/1');
  const c = candidate('c/1');

  it('starts one further along on each call, keeping the rotation', () => {
    const strategy = new RoundRobinStrategy();
    const input = [a, b, c];
    expect(ids(strategy.order(input))).toEqual(['a/1', 'b/1', 'c/1']);
    expect(ids(strategy.order(input))).toEqual(['b/1', 'c/1', 'a/1']);
    expect(ids(strategy.order(input))).toEqual(['c/1', 'a/1', 'b/1']);
    expect(ids(strategy.order(input))).toEqual(['a/1', 'b/1', 'c/1']);
  });

  it('cycles evenly', () => {
    const strategy = new RoundRobinStrategy();
    const input = [a, b, c, candidate('d/1')];
    const firsts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const id = strategy.order(input)[0].deployment.id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    expect([...firsts.values()]).toEqual([1_000, 1_000, 1_000, 1_000]);
  });

  it('keeps its rotation per instance', () => {
    const one = new RoundRobinStrategy();
    const two = new RoundRobinStrategy();
    one.order([a, b, c]);
    one.order([a, b, c]);
    expect(two.order([a, b, c])[0]).toBe(a);
    expect(one.order([a, b, c])[0]).toBe(c);
  });

  it('stays fair when the list size alternates between calls', () => {
    const strategy = new RoundRobinStrategy();
    const firsts = new Map<string, number>();
    for (let i = 0; i < 6_000; i++) {
      const input = i % 2 === 0 ? [a, b, c] : [a, b];
      const id = strategy.order(input)[0].deployment.id;
      firsts.set(id, (firsts.get(id) ?? 0) + 1);
    }
    // Every deployment leads; a and b, present on every call, share the turns c cannot take.
    expect(firsts.get('c/1')).toBeGreaterThan(1_000);
    expect(Math.abs((firsts.get('a/1') ?? 0) - (firsts.get('b/1') ?? 0))).toBeLessThanOrEqual(2);
    // Within the two-element calls alone, a and b alternate rather than one of them always leading.
    const twoOnly = new Map<string, number>();
    const s2 = new RoundRobinStrategy();
    for (let i = 0; i < 600; i++) {
      const input = i % 2 === 0 ? [a, b, c] : [a, b];
      const id = s2.order(input)[0].deployment.id;
      if (i % 2 === 1) twoOnly.set(id, (twoOnly.get(id) ?? 0) + 1);
    }
    expect(twoOnly.get('a/1')).toBeGreaterThan(100);
    expect(twoOnly.get('b/1')).toBeGreaterThan(100);
  });

  it('gives a deployment back its turn when it returns to the list', () => {
    const strategy = new RoundRobinStrategy();
    expect(strategy.order([a, b, c])[0]).toBe(a);
    expect(strategy.order([a, c])[0]).toBe(c);
    expect(strategy.order([a, c])[0]).toBe(a);
    expect(strategy.order([a, b, c])[0]).toBe(b);
    expect(strategy.order([a, b, c])[0]).toBe(c);
    expect(strategy.order([a, b, c])[0]).toBe(a);
  });

  it('rotates a list of a new size from the longest-waiting deployment', () => {
    const strategy = new RoundRobinStrategy();
    const d = candidate('d/1');
    strategy.order([a, b]);
    strategy.order([a, b]);
    expect(ids(strategy.order([a, b, c, d]))).toEqual(['c/1', 'd/1', 'a/1', 'b/1']);
    expect(ids(strategy.order([a, b, c, d]))).toEqual(['d/1', 'a/1', 'b/1', 'c/1']);
    expect(ids(strategy.order([a, b, c, d]))).toEqual(['a/1', 'b/1', 'c/1', 'd/1']);
  });
});
