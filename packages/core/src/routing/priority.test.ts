import { candidate, ids } from './__tests__/fixtures';
import { PriorityStrategy } from './priority';

describe('PriorityStrategy', () => {
  const strategy = new PriorityStrategy();

  it('orders by ascending priority', () => {
    const input = [
      candidate('a/1', { priority: 3 }),
      candidate('b/1', { priority: 1 }),
      candidate('c/1', { priority: 2 }),
      candidate('d/1', { priority: 0 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['d/1', 'b/1', 'c/1', 'a/1']);
  });

  it('keeps input order among equal priorities', () => {
    const input = [
      candidate('a/1', { priority: 1 }),
      candidate('b/1', { priority: 0 }),
      candidate('c/1', { priority: 1 }),
      candidate('d/1', { priority: 0 }),
      candidate('e/1', { priority: 1 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['b/1', 'd/1', 'a/1', 'c/1', 'e/1']);
  });

  it('is stable on lists longer than the insertion-sort limit too', () => {
    const input = Array.from({ length: 80 }, (_, i) => candidate(`p/${i}`, { priority: i % 3 }));
    const expected = [0, 1, 2].flatMap((p) => ids(input.filter((c) => c.deployment.priority === p)));
    expect(ids(strategy.order(input))).toEqual(expected);
  });

  it('is the same on every call', () => {
    const input = [candidate('a/1', { priority: 2 }), candidate('b/1', { priority: 1 })];
    for (let i = 0; i < 5; i++) expect(ids(strategy.order(input))).toEqual(['b/1', 'a/1']);
  });
});
