import { LocalRateLimitStore, RATE_BUCKET_MS, type RateScope, SlidingWindow } from './rate-limit';

const T0 = 1_700_000_000_000;
const scope = (rpm?: number, tpm?: number, id = 'deployment:a/m'): RateScope => ({ id, rpm, tpm });

describe('SlidingWindow', () => {
  test('counts requests for at least 60 s and at most 61 s', () => {
    const window = new SlidingWindow();
    const limits = scope(2);
    window.add(1, 0, T0 + 500);
    window.add(1, 0, T0 + 900);
    expect(window.fitsAt(limits, 0, T0 + 1000)).toBe(T0 + 61_000);
    // Still refused 60 s after the requests (never less than a minute)...
    expect(window.fitsAt(limits, 0, T0 + 60_950)).toBeGreaterThan(T0 + 60_950);
    // ...and free once their bucket has left the window.
    expect(window.fitsAt(limits, 0, T0 + 61_000)).toBe(T0 + 61_000);
    expect(window.totals(T0 + 61_000)).toEqual({ requests: 0, tokens: 0 });
  });

  test('frees only as many old buckets as the call needs', () => {
    const window = new SlidingWindow();
    const limits = scope(3);
    window.add(1, 0, T0);
    window.add(1, 0, T0 + 10 * RATE_BUCKET_MS);
    window.add(1, 0, T0 + 20 * RATE_BUCKET_MS);
    expect(window.fitsAt(limits, 0, T0 + 30 * RATE_BUCKET_MS)).toBe(T0 + 61_000);
  });

  test('tokens: a call fits when the window has room for its estimate', () => {
    const window = new SlidingWindow();
    const limits = scope(undefined, 1000);
    window.add(1, 600, T0);
    window.add(1, 300, T0 + 5_000);
    expect(window.fitsAt(limits, 100, T0 + 6_000)).toBe(T0 + 6_000);
    // 150 more do not fit until the 600 leave; the 300 alone would not be enough.
    expect(window.fitsAt(limits, 150, T0 + 6_000)).toBe(T0 + 61_000);
    expect(window.fitsAt(limits, 800, T0 + 6_000)).toBe(T0 + 66_000);
  });

  test('a call larger than the whole token budget fits once the window is empty', () => {
    const window = new SlidingWindow();
    const limits = scope(undefined, 100);
    expect(window.fitsAt(limits, 5000, T0)).toBe(T0);
    window.add(1, 5000, T0);
    expect(window.fitsAt(limits, 5000, T0 + 1000)).toBe(T0 + 61_000);
  });

  test('a negative correction gives tokens back', () => {
    const window = new SlidingWindow();
    window.add(1, 900, T0);
    window.add(0, -800, T0 + 2000);
    expect(window.totals(T0 + 2000)).toEqual({ requests: 1, tokens: 100 });
    expect(window.fitsAt(scope(undefined, 1000), 500, T0 + 2000)).toBe(T0 + 2000);
  });
});

describe('LocalRateLimitStore', () => {
  test('takes from every scope or from none', () => {
    const store = new LocalRateLimitStore();
    const deployment = scope(10, undefined, 'deployment:a/m');
    const provider = scope(1, undefined, 'provider:a');
    expect(store.take([deployment, provider], 0, T0).allowed).toBe(true);
    const refused = store.take([deployment, provider], 0, T0 + 10);
    expect(refused).toEqual({ allowed: false, retryAt: T0 + 61_000, scope: 'provider:a' });
    // The refused call took nothing from the deployment's window.
    expect(store.usage(deployment, T0 + 10)).toEqual({ requests: 1, tokens: 0 });
  });

  test('the 11th of 10 per minute is refused until the first leaves the window', () => {
    const store = new LocalRateLimitStore();
    const limits = [scope(10)];
    for (let i = 0; i < 10; i++) expect(store.take(limits, 0, T0 + i * 100).allowed).toBe(true);
    const eleventh = store.take(limits, 0, T0 + 2000);
    expect(eleventh.allowed).toBe(false);
    expect(eleventh.retryAt).toBe(T0 + 61_000);
    expect(store.take(limits, 0, T0 + 61_000).allowed).toBe(true);
  });

  test('adjust corrects tokens of limited scopes only', () => {
    const store = new LocalRateLimitStore();
    const tokens = scope(undefined, 1000, 'provider:a');
    const requests = scope(5, undefined, 'deployment:a/m');
    store.take([tokens, requests], 100, T0);
    store.adjust([tokens, requests], 250, T0 + 10);
    expect(store.usage(tokens, T0 + 10)).toEqual({ requests: 1, tokens: 350 });
    expect(store.usage(requests, T0 + 10)).toEqual({ requests: 1, tokens: 0 });
  });
});
