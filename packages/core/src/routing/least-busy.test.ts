import { candidate, ids } from './__tests__/fixtures';
import { LeastBusyStrategy } from './least-busy';

describe('LeastBusyStrategy', () => {
  const strategy = new LeastBusyStrategy();

  it('puts the least busy first, then ascending in-flight counts', () => {
    const input = [
      candidate('a/1', { inFlight: 7 }),
      candidate('b/1', { inFlight: 2 }),
      candidate('c/1', { inFlight: 0 }),
      candidate('d/1', { inFlight: 5 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['c/1', 'b/1', 'd/1', 'a/1']);
  });

  it('breaks ties by priority, then input order', () => {
    const input = [
      candidate('a/1', { inFlight: 1, priority: 2 }),
      candidate('b/1', { inFlight: 1, priority: 1 }),
      candidate('c/1', { inFlight: 1, priority: 2 }),
      candidate('d/1', { inFlight: 3, priority: 0 }),
      candidate('e/1', { inFlight: 1, priority: 1 }),
    ];
    expect(ids(strategy.order(input))).toEqual(['b/1', 'e/1', 'a/1', 'c/1', 'd/1']);
  });

  it('follows the counts as they change', () => {
    const idle = [candidate('a/1', { inFlight: 0 }), candidate('b/1', { inFlight: 0 })];
    expect(strategy.order(idle)[0].deployment.id).toBe('a/1');
    const busy = [candidate('a/1', { inFlight: 1 }), candidate('b/1', { inFlight: 0 })];
    expect(strategy.order(busy)[0].deployment.id).toBe('b/1');
  });
});
