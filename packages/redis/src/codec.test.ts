import type { StateChange } from '@ai-failover/core';
import { decode, encode, MAX_PAYLOAD_LENGTH, MAX_UNTIL_AHEAD_MS, subjectOf } from './codec';

const breaker: StateChange = { kind: 'breaker', deployment: 'openai/gpt-4.1', state: 'open' };
const keyed: StateChange = {
  kind: 'cooldown',
  provider: 'openai',
  key: 'Xb3kq9_Vd0aQmZ1p',
  deployment: 'openai/gpt-4.1',
  until: Date.now() + 60_000,
  reason: 'rate_limited',
};
const keyless: StateChange = {
  ...keyed,
  provider: 'local',
  key: null,
  deployment: 'local/llama',
  reason: 'auth',
};

describe('the shared-state wire format', () => {
  test.each([breaker, keyed, keyless])('a change survives encoding: %j', (change) => {
    expect(decode(encode('origin-1', change))).toEqual({
      ok: true,
      envelope: { v: 1, origin: 'origin-1', change },
    });
  });

  test('subjects name what a change is about', () => {
    expect(subjectOf(breaker)).toBe('breaker:openai/gpt-4.1');
    expect(subjectOf({ ...breaker, state: 'closed' })).toBe('breaker:openai/gpt-4.1');
    expect(subjectOf(keyed)).toBe('cooldown:openai:Xb3kq9_Vd0aQmZ1p');
    expect(subjectOf(keyless)).toBe('cooldown:local:local/llama');
  });

  test('fields beyond the known ones are dropped', () => {
    const decoded = decode(
      JSON.stringify({ v: 1, origin: 'o', extra: 1, change: { ...breaker, secret: 'x' } }),
    );
    expect(decoded).toEqual({ ok: true, envelope: { v: 1, origin: 'o', change: breaker } });
  });

  test.each<[string, string, RegExp]>([
    ['too long', 'x'.repeat(MAX_PAYLOAD_LENGTH + 1), /longer than/],
    ['not JSON', '{', /not JSON/],
    ['an array', '[1]', /not a JSON object/],
    ['another version', JSON.stringify({ v: 2, origin: 'o', change: breaker }), /unknown format version 2/],
    ['no origin', JSON.stringify({ v: 1, change: breaker }), /origin/],
    [
      'an empty deployment',
      JSON.stringify({ v: 1, origin: 'o', change: { ...breaker, deployment: '' } }),
      /deployment/,
    ],
    [
      'a half-open state',
      JSON.stringify({ v: 1, origin: 'o', change: { ...breaker, state: 'half-open' } }),
      /state/,
    ],
    ['a numeric key', JSON.stringify({ v: 1, origin: 'o', change: { ...keyed, key: 5 } }), /change.key/],
    [
      'an infinite until',
      JSON.stringify({ v: 1, origin: 'o', change: { ...keyed, until: 'Infinity' } }),
      /until/,
    ],
    [
      'an until centuries ahead',
      JSON.stringify({ v: 1, origin: 'o', change: { ...keyed, until: 1e300 } }),
      /until is more than a day ahead/,
    ],
    [
      'a breaker until beyond a day',
      JSON.stringify({
        v: 1,
        origin: 'o',
        change: { ...breaker, until: Date.now() + MAX_UNTIL_AHEAD_MS + 60_000 },
      }),
      /until is more than a day ahead/,
    ],
    [
      'a negative until',
      JSON.stringify({ v: 1, origin: 'o', change: { ...keyed, until: -1 } }),
      /until is not a time/,
    ],
    [
      'another reason',
      JSON.stringify({ v: 1, origin: 'o', change: { ...keyed, reason: 'tired' } }),
      /reason/,
    ],
    [
      'another kind',
      JSON.stringify({ v: 1, origin: 'o', change: { kind: 'weights', deployment: 'd' } }),
      /kind/,
    ],
    ['a huge id', JSON.stringify({ v: 1, origin: 'o'.repeat(600), change: breaker }), /origin/],
  ])('%s is rejected with a reason', (_name, raw, reason) => {
    const decoded = decode(raw);
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? '' : decoded.reason).toMatch(reason);
  });
});
