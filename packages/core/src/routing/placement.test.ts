import { place, type Tier } from './placement';

const at = (id: string, region?: string, tier: Tier = 0) => ({
  id,
  deployment: { region },
  runtime: { routingTier: () => tier },
});
const ids = (list: { id: string }[]) => list.map((c) => c.id);
const NOW = 0;

describe('place', () => {
  test('the preferred region goes first, each side keeps its order', () => {
    const ordered = [at('a', 'us'), at('b', 'eu'), at('c'), at('d', 'eu'), at('e', 'us')];
    expect(ids(place(ordered, 'eu', NOW))).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  test('no preference or no match: unchanged', () => {
    expect(ids(place([at('a', 'us'), at('b', 'eu')], undefined, NOW))).toEqual(['a', 'b']);
    expect(ids(place([at('a', 'us'), at('b')], 'ap', NOW))).toEqual(['a', 'b']);
  });

  test('healthy before slow before unhealthy, the order given kept within a tier', () => {
    const ordered = [at('a', undefined, 2), at('b', undefined, 1), at('c'), at('d', undefined, 1), at('e')];
    expect(ids(place(ordered, undefined, NOW))).toEqual(['c', 'e', 'b', 'd', 'a']);
  });

  test('a slow deployment of the preferred region stays ahead of a healthy one elsewhere', () => {
    const ordered = [at('us-fast', 'us'), at('eu-slow', 'eu', 1), at('eu-fast', 'eu')];
    expect(ids(place(ordered, 'eu', NOW))).toEqual(['eu-fast', 'eu-slow', 'us-fast']);
  });

  test('an unhealthy deployment goes last, even in the preferred region', () => {
    const ordered = [
      at('eu-down', 'eu', 2),
      at('us-slow', 'us', 1),
      at('us-ok', 'us'),
      at('us-down', 'us', 2),
    ];
    expect(ids(place(ordered, 'eu', NOW))).toEqual(['us-ok', 'us-slow', 'eu-down', 'us-down']);
  });

  test('a first candidate unhealthy is moved behind, unless it is the canary', () => {
    const ordered = [at('first', 'eu', 2), at('eu-1', 'eu'), at('eu-2', 'eu')];
    expect(ids(place(ordered, 'eu', NOW))).toEqual(['eu-1', 'eu-2', 'first']);
    const canary = { ...at('canary', 'eu', 2), canary: {} };
    expect(ids(place([canary, at('eu-1', 'eu', 1), at('eu-2', 'eu')], 'eu', NOW))).toEqual([
      'canary',
      'eu-2',
      'eu-1',
    ]);
    // Outside the preferred region, it leads the other regions' candidates.
    const away = { ...at('canary', 'us', 2), canary: {} };
    expect(ids(place([away, at('us-1', 'us'), at('eu-1', 'eu')], 'eu', NOW))).toEqual([
      'eu-1',
      'canary',
      'us-1',
    ]);
  });

  test('already in place: the same array, untouched', () => {
    const ordered = [at('eu', 'eu'), at('eu-slow', 'eu', 1), at('us', 'us'), at('down', 'eu', 2)];
    const copy = [...ordered];
    expect(place(ordered, 'eu', NOW)).toBe(ordered);
    expect(ordered).toEqual(copy);
  });
});
