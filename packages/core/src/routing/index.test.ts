import type { RoutingStrategyName } from '../types';
import { candidate, ids, mulberry32 } from './__tests__/fixtures';
import { createStrategy } from './index';
import type { RoutingCandidate } from './strategy';

const NAMES: readonly RoutingStrategyName[] = [
  'priority',
  'weighted',
  'round-robin',
  'least-busy',
  'lowest-latency',
  'consistent-hash',
];

function sample(): readonly RoutingCandidate[] {
  return Object.freeze([
    candidate('a/1', { weight: 3, priority: 2, inFlight: 4, latencyEwmaMs: 300 }),
    candidate('b/1', { weight: 1, priority: 0, inFlight: 0 }),
    candidate('c/1', { weight: 0, priority: 1, inFlight: 2, latencyEwmaMs: 100 }),
    candidate('d/1', { weight: 2, priority: 1, inFlight: 2, latencyEwmaMs: 200 }),
    candidate('e/1', { weight: 5, priority: 3, inFlight: 1, latencyEwmaMs: 100 }),
  ]);
}

describe.each(NAMES)('%s strategy contract', (name) => {
  it('has its name', () => {
    expect(createStrategy(name).name).toBe(name);
  });

  it('returns a new array holding every candidate exactly once, leaving the input untouched', () => {
    const strategy = createStrategy(name, { random: mulberry32(7) });
    const input = sample();
    const before = ids(input);
    for (let call = 0; call < 50; call++) {
      const ordered = strategy.order(input, { affinityKey: call % 2 ? `user-${call}` : undefined });
      expect(ordered).not.toBe(input);
      expect(ordered).toHaveLength(input.length);
      expect(new Set(ordered).size).toBe(input.length);
      for (const c of input) expect(ordered).toContain(c);
      expect(ids(input)).toEqual(before);
    }
  });

  it('handles an empty list', () => {
    const input: readonly RoutingCandidate[] = [];
    const ordered = createStrategy(name).order(input, { affinityKey: 'k' });
    expect(ordered).toEqual([]);
    expect(ordered).not.toBe(input);
  });

  it('handles a single candidate', () => {
    const only = candidate('solo/1', { weight: 0 });
    const input = [only];
    for (const context of [{}, { affinityKey: 'k' }]) {
      const ordered = createStrategy(name).order(input, context);
      expect(ordered).toEqual([only]);
      expect(ordered).not.toBe(input);
    }
  });

  it('keeps the caller’s candidate type', () => {
    const input = [{ ...candidate('x/1'), tag: 'x' }];
    const [first] = createStrategy(name).order(input, {});
    expect(first?.tag).toBe('x');
  });
});

describe('createStrategy', () => {
  it('rejects an unknown name', () => {
    expect(() => createStrategy('fastest' as RoutingStrategyName)).toThrow(
      /unknown routing strategy "fastest"/,
    );
  });

  it('gives each call its own instance', () => {
    expect(createStrategy('round-robin')).not.toBe(createStrategy('round-robin'));
  });
});
