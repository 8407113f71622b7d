import { preferRegion } from './region';

const at = (id: string, region?: string) => ({ id, deployment: { region } });
const ids = (list: { id: string }[]) => list.map((c) => c.id);

describe('preferRegion', () => {
  test('the preferred region goes first, each side keeps its order', () => {
    const ordered = [at('a', 'us'), at('b', 'eu'), at('c'), at('d', 'eu'), at('e', 'us')];
    expect(ids(preferRegion(ordered, 'eu'))).toEqual(['b', 'd', 'a', 'c', 'e']);
  });

  test('no preference or no match: unchanged', () => {
    expect(ids(preferRegion([at('a', 'us'), at('b', 'eu')], undefined))).toEqual(['a', 'b']);
    expect(ids(preferRegion([at('a', 'us'), at('b')], 'ap'))).toEqual(['a', 'b']);
  });
});
