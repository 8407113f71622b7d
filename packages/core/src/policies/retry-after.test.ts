import { parseRetryAfter } from './retry-after';

const HOUR = 3_600_000;
const NOW = Date.parse('2030-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  test.each<[Record<string, string | string[]>, number | undefined]>([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after-ms': '1500' }, 1500],
    [{ 'retry-after-ms': '1500', 'retry-after': '9' }, 1500],
    [{ 'retry-after': ['3', '9'] }, 3000],
    [{ 'retry-after': 'Tue, 01 Jan 2030 00:00:04 GMT' }, 4000],
    [{ 'retry-after': 'Mon, 31 Dec 2029 23:00:00 GMT' }, 0],
    [{}, undefined],
  ])('%p waits %p ms', (headers, ms) => {
    expect(parseRetryAfter(headers, HOUR, NOW)).toBe(ms);
  });

  test.each<[Record<string, string>]>([
    [{ 'retry-after': '1000000000000' }],
    [{ 'retry-after': '1e300' }],
    [{ 'retry-after-ms': '1e300' }],
    [{ 'retry-after-ms': '1e400' }],
    [{ 'retry-after': 'Infinity' }],
    [{ 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' }],
  ])('%p is cut to the cap', (headers) => {
    expect(parseRetryAfter(headers, HOUR, NOW)).toBe(HOUR);
    expect(parseRetryAfter(headers, 5000, NOW)).toBe(5000);
  });

  test.each<[Record<string, string>]>([
    [{ 'retry-after': '-1' }],
    [{ 'retry-after': 'soon' }],
    [{ 'retry-after': '' }],
    [{ 'retry-after-ms': 'NaN' }],
    [{ 'retry-after-ms': '-5' }],
  ])('%p is ignored', (headers) => {
    expect(parseRetryAfter(headers, HOUR, NOW)).toBeUndefined();
  });

  test('an invalid retry-after-ms leaves Retry-After in force', () => {
    expect(parseRetryAfter({ 'retry-after-ms': 'x', 'retry-after': '2' }, HOUR, NOW)).toBe(2000);
  });
});
