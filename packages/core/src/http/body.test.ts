import { parseByteSize } from './body';

describe('parseByteSize', () => {
  test.each([
    [1024, 1024],
    ['1mb', 1024 * 1024],
    ['512kb', 512 * 1024],
    ['1.5MB', 1.5 * 1024 * 1024],
    ['100', 100],
    ['2 gb', 2 * 1024 ** 3],
  ])('%p is %p bytes', (input, bytes) => {
    expect(parseByteSize(input)).toBe(bytes);
  });

  test.each([[0], [-1], [1.5], ['ten'], ['1tb'], [''], [null], [Number.NaN]])('%p is refused', (input) => {
    expect(parseByteSize(input)).toBeUndefined();
  });
});
