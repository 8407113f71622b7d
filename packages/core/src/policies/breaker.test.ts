import { DEFAULTS } from '../config';
import type { AttemptOutcome } from '../types';
import { type BreakerOptions, countsForBreaker, DeploymentBreaker, REFUSED } from './breaker';

function setup(options: Partial<BreakerOptions> = {}) {
  let now = 1_000_000;
  const events: string[] = [];
  const breaker = new DeploymentBreaker(
    { ...DEFAULTS.policy.breaker, ...options },
    { now: () => now },
    {
      onOpen: (until) => events.push(`open until +${until - now}`),
      onHalfOpen: () => events.push('half-open'),
      onClose: () => events.push('close'),
    },
  );
  const run = (outcome: AttemptOutcome, times = 1) => {
    for (let i = 0; i < times; i++) breaker.record(breaker.begin(), outcome);
  };
  return { breaker, events, run, advance: (ms: number) => (now += ms) };
}

test('what counts: the deployment’s faults, not the caller’s, not a key’s, not an abort', () => {
  const counted = (
    [
      'server_error',
      'not_found',
      'timeout',
      'first_token_timeout',
      'stream_stalled',
      'connection_error',
      'bad_response',
    ] as const
  ).map(countsForBreaker);
  expect(counted.every(Boolean)).toBe(true);
  const ignored = (['client_error', 'context_length', 'rate_limited', 'auth_error', 'aborted'] as const).map(
    countsForBreaker,
  );
  expect(ignored.some(Boolean)).toBe(false);
});

test('consecutive failures open it whatever the window holds; a success in between resets the run', () => {
  const { breaker, events, run } = setup({ consecutiveFailures: 3, volumeThreshold: 1000 });
  run('success', 50);
  run('timeout', 2);
  run('success');
  run('timeout', 2);
  expect(breaker.state).toBe('closed');
  run('client_error', 5); // counts as nothing: the run goes on
  run('timeout');
  expect(breaker.state).toBe('open');
  expect(events).toEqual(['open until +30000']);
});

test('the failure rate opens it past the threshold once the volume is reached', () => {
  const { breaker, run } = setup({
    consecutiveFailures: 0,
    volumeThreshold: 10,
    errorThresholdPercentage: 50,
  });
  run('success', 5);
  run('server_error', 4);
  expect(breaker.state).toBe('closed'); // 9 calls: under the volume
  run('server_error');
  expect(breaker.state).toBe('closed'); // 50 %: not past it
  run('server_error');
  expect(breaker.state).toBe('open'); // 6 of 11
});

test('half-open: one probe; nothing-counting outcomes free the slot; a failure reopens, a success closes', () => {
  const { breaker, events, run, advance } = setup({ consecutiveFailures: 1, resetTimeoutMs: 1000 });
  run('server_error');
  expect(breaker.begin()).toBe(REFUSED);
  advance(1000);
  expect(breaker.canAttempt()).toBe(true);
  const probe = breaker.begin();
  expect(breaker.canAttempt()).toBe(false);
  expect(breaker.begin()).toBe(REFUSED);
  breaker.record(probe, 'aborted');
  expect(breaker.state).toBe('half-open');
  run('client_error');
  expect(breaker.state).toBe('half-open');
  run('timeout');
  expect(breaker.state).toBe('open');
  advance(1000);
  run('success');
  expect(breaker.state).toBe('closed');
  expect(events).toEqual(['open until +1000', 'half-open', 'open until +1000', 'half-open', 'close']);
});

test('an outcome of an attempt begun before a transition says nothing about the new period', () => {
  const { breaker, run, advance } = setup({ consecutiveFailures: 2, resetTimeoutMs: 1000 });
  const early = breaker.begin();
  run('server_error', 2);
  advance(1000);
  breaker.record(early, 'success');
  expect(breaker.state).toBe('half-open');
});

test('shared changes: an open lasts until its time, a close starts a fresh window', () => {
  const { breaker, run, advance } = setup({ consecutiveFailures: 0, volumeThreshold: 2 });
  run('server_error');
  expect(breaker.applyShared('open', 1_000_000 + 500)).toBe(true);
  advance(499);
  expect(breaker.state).toBe('open');
  advance(1);
  expect(breaker.state).toBe('half-open');
  expect(breaker.applyShared('open', 1_000_000)).toBe(false); // already over
  expect(breaker.applyShared('closed', undefined)).toBe(true);
  run('server_error');
  expect(breaker.state).toBe('closed'); // the failure before the close is forgotten
});

test('a successful active probe closes an open breaker; a failed one is not its business', () => {
  const { breaker, run } = setup({ consecutiveFailures: 1 });
  breaker.recordProbe(false);
  expect(breaker.state).toBe('closed');
  run('server_error');
  breaker.recordProbe(false);
  expect(breaker.state).toBe('open');
  breaker.recordProbe(true);
  expect(breaker.state).toBe('closed');
});
