import { LearnedQuota, MAX_RESET_MS, parseResetDuration, readQuotaHeaders } from './quota-headers';

const T0 = 1_700_000_000_000;

describe('parseResetDuration', () => {
  test.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['2m3.5s', 123_500],
    ['1h0m0s', 3_600_000],
    ['20ms', 20],
    ['0.5s', 500],
    ['12', 12_000],
    ['1m30.25s', 90_250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseResetDuration(text)).toBe(ms);
  });

  test.each([[''], ['soon'], ['5 minutes'], ['-1s'], ['1d'], ['s']])('%j is unreadable', (text) => {
    expect(parseResetDuration(text)).toBeUndefined();
  });

  test('a reset far away is capped', () => {
    expect(parseResetDuration('9999h')).toBe(MAX_RESET_MS);
  });
});

describe('readQuotaHeaders', () => {
  test('reads both kinds as OpenAI sends them', () => {
    expect(
      readQuotaHeaders({
        'x-ratelimit-limit-requests': '60',
        'x-ratelimit-remaining-requests': '59',
        'x-ratelimit-reset-requests': '1s',
        'x-ratelimit-limit-tokens': '150000',
        'x-ratelimit-remaining-tokens': '149984',
        'x-ratelimit-reset-tokens': '6ms',
      }),
    ).toEqual({
      requests: { limit: 60, remaining: 59, resetMs: 1000 },
      tokens: { limit: 150000, remaining: 149984, resetMs: 6 },
    });
  });

  test('no remaining count, nothing learned; garbage is ignored', () => {
    expect(readQuotaHeaders({ 'content-type': 'application/json' })).toBeUndefined();
    expect(readQuotaHeaders({ 'x-ratelimit-remaining-requests': 'lots' })).toBeUndefined();
    expect(readQuotaHeaders({ 'x-ratelimit-remaining-requests': '-3' })).toBeUndefined();
  });

  test('a missing reset is taken as a minute', () => {
    expect(readQuotaHeaders({ 'x-ratelimit-remaining-requests': '0' })?.requests?.resetMs).toBe(60_000);
  });
});

describe('LearnedQuota', () => {
  test('remaining requests at 0 stop calls until the reset', () => {
    const quota = new LearnedQuota();
    quota.update(
      readQuotaHeaders({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '2s' })!,
      T0,
    );
    expect(quota.fitsAt(0, T0 + 100)).toBe(T0 + 2000);
    expect(quota.fitsAt(0, T0 + 2000)).toBe(T0 + 2000);
  });

  test('calls sent since the last answer count down from it', () => {
    const quota = new LearnedQuota();
    quota.update(
      readQuotaHeaders({ 'x-ratelimit-remaining-requests': '2', 'x-ratelimit-reset-requests': '10s' })!,
      T0,
    );
    expect(quota.fitsAt(0, T0)).toBe(T0);
    quota.take(0, T0);
    expect(quota.fitsAt(0, T0)).toBe(T0);
    quota.take(0, T0);
    expect(quota.fitsAt(0, T0 + 1)).toBe(T0 + 10_000);
    // A later answer replaces what was counted.
    quota.update(
      readQuotaHeaders({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '10s' })!,
      T0 + 5,
    );
    expect(quota.fitsAt(0, T0 + 5)).toBe(T0 + 5);
  });

  test('tokens: a call bigger than what is left waits for the reset; corrections count', () => {
    const quota = new LearnedQuota();
    quota.update(
      readQuotaHeaders({
        'x-ratelimit-limit-tokens': '1000',
        'x-ratelimit-remaining-tokens': '300',
        'x-ratelimit-reset-tokens': '30s',
      })!,
      T0,
    );
    expect(quota.fitsAt(200, T0)).toBe(T0);
    quota.take(200, T0);
    expect(quota.fitsAt(200, T0)).toBe(T0 + 30_000);
    quota.adjust(-150, T0);
    expect(quota.fitsAt(200, T0)).toBe(T0);
    expect(quota.snapshot(T0).tokens).toEqual({ limit: 1000, remaining: 250, resetAt: T0 + 30_000 });
    expect(quota.snapshot(T0 + 30_000).tokens).toBeUndefined();
  });
});
