import { candidate, ids } from './__tests__/fixtures';
import { LowestLatencyStrategy } from './lowest-latency';

describe('LowestLatencyStrategy', () => {
  const strategy = new LowestLatencyStrategy();

  it('orders by ascending latency EWMA', () => {
    const input = [
      candidate('a/1', { latencyEwmaMs: 900 }),
      candidate('b/1', { latencyEwmaMs: 120.5 }),
      candidate('c/1', { latencyEwmaMs: 450 }),
      candidate('d/1', { latencyEwmaMs: 120 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['d/1', 'b/1', 'c/1', 'a/1']);
  });

  it('explores deployments with no sample first', () => {
    const input = [
      candidate('a/1', { latencyEwmaMs: 10 }),
      candidate('b/1'),
      candidate('c/1', { latencyEwmaMs: 5 }),
      candidate('d/1'),
    ];
    expect(ids(strategy.order(input))).toEqual(['b/1', 'd/1', 'c/1', 'a/1']);
  });

  it('breaks ties (unmeasured ones included) by priority, then input order', () => {
    const input = [
      candidate('a/1', { latencyEwmaMs: 100, priority: 2 }),
      candidate('b/1', { latencyEwmaMs: 100, priority: 1 }),
      candidate('c/1', { priority: 3 }),
      candidate('d/1', { priority: 0 }),
      candidate('e/1', { latencyEwmaMs: 100, priority: 1 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['d/1', 'c/1', 'b/1', 'e/1', 'a/1']);
  });
});
