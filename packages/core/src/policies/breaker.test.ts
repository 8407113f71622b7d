import { activeResources } from '@ai-failover/testing/support';
import { DEFAULTS } from '../config';
import type { AttemptOutcome } from '../types';
import { type BreakerOptions, BucketRotation, countsForBreaker, DeploymentBreaker, REFUSED } from './breaker';

const breakers: DeploymentBreaker[] = [];
afterEach(() => {
  for (const breaker of breakers.splice(0)) breaker.shutdown();
});

function setup(options: Partial<BreakerOptions> = {}, rotation?: BucketRotation) {
  let now = 1_000_000;
  const events: string[] = [];
  let halfOpened: (() => void) | undefined;
  const clock = { now: () => now };
  const breaker = new DeploymentBreaker(
    { ...DEFAULTS.policy.breaker, ...options },
    clock,
    {
      onOpen: (until) => events.push(`open until +${until - now}`),
      onHalfOpen: () => {
        events.push('half-open');
        halfOpened?.();
      },
      onClose: () => events.push('close'),
    },
    rotation,
  );
  breakers.push(breaker);
  const run = (outcome: AttemptOutcome, times = 1) => {
    for (let i = 0; i < times; i++) breaker.record(breaker.begin(), outcome);
  };
  /** Resolves when opossum's reset timer (real time) turns the breaker half-open. */
  const halfOpen = () =>
    new Promise<void>((resolve) => {
      halfOpened = resolve;
    });
  return { breaker, events, run, clock, halfOpen, advance: (ms: number) => (now += ms) };
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

test('half-open after resetTimeoutMs: one probe; nothing-counting outcomes free the slot; a failure reopens, a success closes', async () => {
  const { breaker, events, run, halfOpen } = setup({ consecutiveFailures: 1, resetTimeoutMs: 30 });
  const started = performance.now();
  let reset = halfOpen();
  run('server_error');
  expect(breaker.begin()).toBe(REFUSED);
  await reset;
  expect(performance.now() - started).toBeGreaterThanOrEqual(29); // a timer may fire a hair early
  expect(breaker.canAttempt()).toBe(true);
  const probe = breaker.begin();
  expect(breaker.canAttempt()).toBe(false);
  expect(breaker.begin()).toBe(REFUSED);
  breaker.record(probe, 'aborted');
  expect(breaker.state).toBe('half-open');
  run('client_error');
  expect(breaker.state).toBe('half-open');
  reset = halfOpen();
  run('timeout');
  expect(breaker.state).toBe('open');
  await reset;
  run('success');
  expect(breaker.state).toBe('closed');
  expect(events).toEqual(['open until +30', 'half-open', 'open until +30', 'half-open', 'close']);
});

test('an outcome of an attempt begun before a transition says nothing about the new period', async () => {
  const { breaker, run, halfOpen } = setup({ consecutiveFailures: 2, resetTimeoutMs: 20 });
  const early = breaker.begin();
  const reset = halfOpen();
  run('server_error', 2);
  await reset;
  breaker.record(early, 'success');
  expect(breaker.state).toBe('half-open');
});

test('outcomes that count as nothing never reach the failure rate', () => {
  const { breaker, run } = setup({
    consecutiveFailures: 0,
    volumeThreshold: 4,
    errorThresholdPercentage: 50,
  });
  run('client_error', 50);
  run('rate_limited', 50);
  run('aborted', 50);
  run('server_error', 3);
  expect(breaker.state).toBe('closed'); // 3 counted: under the volume
  run('server_error');
  expect(breaker.state).toBe('open'); // 4 of 4, not 4 of 154
});

test('a probe’s success closes it with a fresh window: the failures that opened it are forgotten', async () => {
  const { breaker, run, halfOpen } = setup({
    consecutiveFailures: 0,
    volumeThreshold: 2,
    errorThresholdPercentage: 50,
    resetTimeoutMs: 20,
  });
  const reset = halfOpen();
  run('server_error', 2);
  expect(breaker.state).toBe('open');
  await reset;
  run('success');
  expect(breaker.state).toBe('closed');
  run('server_error');
  expect(breaker.state).toBe('closed'); // 1 of 1 in the window: under the volume
  run('success');
  run('server_error');
  expect(breaker.state).toBe('open'); // 2 of 3
});

test('the window moves with the clock: outcomes older than rollingWindowMs are gone', () => {
  const options = { consecutiveFailures: 0, volumeThreshold: 4, rollingWindowMs: 1000 };
  const inside = setup(options);
  inside.run('server_error', 3);
  inside.advance(900);
  inside.run('server_error');
  expect(inside.breaker.state).toBe('open'); // all four inside the window
  const later = setup(options);
  later.run('server_error', 3);
  later.advance(1000);
  later.run('server_error');
  expect(later.breaker.state).toBe('closed'); // the first three have left it
  later.run('server_error', 3);
  expect(later.breaker.state).toBe('open');
});

test('successes counted without firing land in the bucket of their time, and leave the window with it', () => {
  const options = { consecutiveFailures: 0, volumeThreshold: 4, rollingWindowMs: 1000 };
  const inside = setup(options);
  inside.run('success', 6);
  inside.advance(500);
  inside.run('server_error', 5);
  expect(inside.breaker.state).toBe('closed'); // 5 of 11
  const left = setup(options);
  left.run('success', 6);
  left.advance(1000);
  left.run('server_error', 4);
  expect(left.breaker.state).toBe('open'); // the successes have left the window: 4 of 4

  // The window turned by another breaker of the same rotation: the successes go with their bucket.
  const rotation = new BucketRotation(1000, { now: () => 1_000_000 });
  const one = setup(options, rotation);
  const two = setup(options, rotation);
  one.run('success', 6);
  one.advance(1000);
  two.advance(1000);
  two.run('server_error');
  one.run('server_error', 4);
  expect(one.breaker.state).toBe('open');
});

test('breakers share one rotation and hold no timer that keeps the process alive; shutdown lets go of both', async () => {
  const clock = { now: () => 1_000_000 };
  const rotation = new BucketRotation(10_000, clock);
  const before = activeResources();
  const one = setup({ consecutiveFailures: 1, resetTimeoutMs: 20 }, rotation);
  const two = setup({ consecutiveFailures: 1 }, rotation);
  expect(rotation.listenerCount('rotate')).toBe(4); // each: its window, and its successes to credit
  one.run('server_error');
  two.run('server_error');
  expect(activeResources()).toEqual(before); // the reset timers are unref'd
  one.breaker.shutdown();
  two.breaker.shutdown();
  expect(rotation.listenerCount('rotate')).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 40));
  expect(one.events).toEqual(['open until +20']); // its reset timer was cleared: no half-open
  expect(one.breaker.state).toBe('open'); // the state it had
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
