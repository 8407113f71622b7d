import { candidate, ids, mulberry32 } from './__tests__/fixtures';
import { ConsistentHashStrategy, fmix32, fnv1a32 } from './consistent-hash';
import type { RoutingCandidate } from './strategy';

function four(): RoutingCandidate[] {
  return [
    candidate('openai/gpt-4.1', { weight: 1 }),
    candidate('azure/gpt-4.1', { weight: 2 }),
    candidate('groq/llama', { weight: 3 }),
    candidate('together/llama', { weight: 4 }),
  ];
}

function first(strategy: ConsistentHashStrategy, input: readonly RoutingCandidate[], key: string): string {
  return strategy.order(input, { affinityKey: key })[0].deployment.id;
}

describe('hashes', () => {
  it('computes FNV-1a 32-bit reference values', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('finalizes to unsigned 32-bit values', () => {
    expect(fmix32(0)).toBe(0);
    const h = fmix32(0xdeadbeef);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(2 ** 32);
    expect(Number.isInteger(h)).toBe(true);
  });
});

describe('ConsistentHashStrategy', () => {
  it('sends one key to one deployment across 1 000 calls', () => {
    const strategy = new ConsistentHashStrategy();
    const input = four();
    const expected = ids(strategy.order(input, { affinityKey: 'user-42' }));
    for (let i = 0; i < 1_000; i++) {
      expect(ids(strategy.order(input, { affinityKey: 'user-42' }))).toEqual(expected);
    }
    expect(ids(new ConsistentHashStrategy().order(input, { affinityKey: 'user-42' }))).toEqual(expected);
  });

  it('does not depend on the input order', () => {
    const strategy = new ConsistentHashStrategy();
    const input = four();
    const reversed = input.slice().reverse();
    for (let k = 0; k < 200; k++) {
      const key = `session-${k}`;
      expect(ids(strategy.order(reversed, { affinityKey: key }))).toEqual(
        ids(strategy.order(input, { affinityKey: key })),
      );
    }
  });

  it('spreads 10 000 keys within ±5 points of the weights', () => {
    const strategy = new ConsistentHashStrategy();
    const input = four();
    const counts = new Map<string, number>();
    for (let k = 0; k < 10_000; k++) {
      const id = first(strategy, input, `user-${k}`);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const expected: Record<string, number> = {
      'openai/gpt-4.1': 10,
      'azure/gpt-4.1': 20,
      'groq/llama': 30,
      'together/llama': 40,
    };
    for (const [id, share] of Object.entries(expected)) {
      expect(Math.abs(((counts.get(id) ?? 0) / 10_000) * 100 - share)).toBeLessThanOrEqual(5);
    }
  });

  it('spreads equal weights evenly over sequential keys', () => {
    const strategy = new ConsistentHashStrategy();
    const input = [candidate('a/1'), candidate('b/1'), candidate('c/1'), candidate('d/1')];
    const counts = new Map<string, number>();
    for (let k = 0; k < 10_000; k++) {
      const id = first(strategy, input, String(k));
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    for (const count of counts.values()) expect(Math.abs(count / 100 - 25)).toBeLessThanOrEqual(5);
  });

  it('moves only the keys of a removed deployment, each to its own next choice', () => {
    const strategy = new ConsistentHashStrategy();
    const input = four();
    for (const removed of input) {
      const rest = input.filter((c) => c !== removed);
      let moved = 0;
      for (let k = 0; k < 5_000; k++) {
        const key = `user-${k}`;
        const before = ids(strategy.order(input, { affinityKey: key }));
        const after = ids(strategy.order(rest, { affinityKey: key }));
        if (before[0] === removed.deployment.id) {
          moved++;
          expect(after[0]).toBe(before[1]);
        } else {
          expect(after[0]).toBe(before[0]);
        }
        expect(after).toEqual(before.filter((id) => id !== removed.deployment.id));
      }
      expect(moved).toBeGreaterThan(0);
    }
  });

  it('never puts a weight-0 deployment before a weighted one', () => {
    const strategy = new ConsistentHashStrategy();
    const input = [candidate('zero/1', { weight: 0 }), candidate('a/1'), candidate('zero/2', { weight: 0 })];
    for (let k = 0; k < 500; k++) {
      expect(ids(strategy.order(input, { affinityKey: `k${k}` }))).toEqual(['a/1', 'zero/1', 'zero/2']);
    }
  });

  it('orders large groups consistently', () => {
    const strategy = new ConsistentHashStrategy();
    const input = Array.from({ length: 40 }, (_, i) => candidate(`p${i}/m`));
    const once = ids(strategy.order(input, { affinityKey: 'big' }));
    expect(new Set(once).size).toBe(40);
    expect(ids(strategy.order(input.slice().reverse(), { affinityKey: 'big' }))).toEqual(once);
  });

  it('orders like weighted without an affinity key', () => {
    const input = four();
    const strategy = new ConsistentHashStrategy({ random: mulberry32(9) });
    const counts = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const id = strategy.order(input, i % 2 ? {} : { affinityKey: '' })[0].deployment.id;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(Math.abs(((counts.get('together/llama') ?? 0) / 20_000) * 100 - 40)).toBeLessThanOrEqual(3);
    expect(Math.abs(((counts.get('openai/gpt-4.1') ?? 0) / 20_000) * 100 - 10)).toBeLessThanOrEqual(3);
  });
});
