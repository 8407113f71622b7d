import { hasRateLimitHeaders, parseRawHeaders, rawHeader } from './raw-headers';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p));

describe('raw headers', () => {
  test('parsed: lower-case names, repeated names as arrays', () => {
    expect(
      parseRawHeaders(raw('Content-Type', 'application/json', 'Set-Cookie', 'a=1', 'set-cookie', 'b=2')),
    ).toEqual({ 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
    expect(parseRawHeaders(null)).toEqual({});
  });

  test('one header read without parsing the rest', () => {
    expect(rawHeader(raw('Content-Length', '42', 'content-length', '7'), 'content-length')).toBe('42');
    expect(rawHeader(raw('x-other', '1'), 'content-length')).toBeUndefined();
  });

  test('rate-limit headers are found in any case, as buffers or strings', () => {
    expect(hasRateLimitHeaders(raw('content-type', 'x', 'X-RateLimit-Remaining-Requests', '9'))).toBe(true);
    expect(hasRateLimitHeaders(['x-ratelimit-reset-tokens', '1s'])).toBe(true);
    expect(hasRateLimitHeaders(raw('x-request-id', 'r', 'x-ratelimit', 'short'))).toBe(false);
    expect(hasRateLimitHeaders(null)).toBe(false);
  });
});
