/**
 * The circuit breaker of one deployment, and the whole of its decision: what counts, when it opens,
 * when it lets a probe through, what that probe decides, and what another replica or an active
 * health probe may do to it.
 *
 * - Counted: failures that say the deployment is at fault (5xx, timeouts, resets, stalls, malformed
 *   answers, 404). Successes count as successes. Everything else (a caller's 400, a context-length
 *   error, a 429 or 401 that cools a key down, an aborted or cancelled attempt) counts as nothing:
 *   it never dilutes the failure rate and never decides a half-open probe.
 * - Opens: after `consecutiveFailures` counted failures in a row, or when the counted outcomes of
 *   the rolling window (`rollingWindowMs`, ten buckets) number at least `volumeThreshold` and more
 *   than `errorThresholdPercentage` of them failed.
 * - Half-open: `resetTimeoutMs` after opening, one attempt (the probe) may go through. A success
 *   closes the breaker with a fresh window; a counted failure opens it for another period; an
 *   outcome that counts as nothing frees the slot for the next probe.
 * - Elsewhere: a replica's open breaker is applied until the time it named; a close closes. A
 *   successful active health probe closes it at once; a failed one leaves it alone (health steers
 *   traffic away instead).
 *
 * Time comes from the injected clock and transitions are computed when read, so the breaker holds
 * no timer. It is written here rather than on opossum, which recorded ignored outcomes as
 * successes, ran its half-open timer on the wall clock, and could not open until a given time.
 */
import type { Clock } from '../clock';
import type { AttemptOutcome, BreakerState, ResolvedPolicy } from '../types';

export type BreakerOptions = ResolvedPolicy['breaker'];

export interface BreakerListeners {
  /** `until`: when the breaker lets a probe through. */
  onOpen(until: number): void;
  onHalfOpen(): void;
  onClose(): void;
}

/** Whether an attempt's outcome counts against the deployment (true), for it ('success'), or not at all. */
export function countsForBreaker(outcome: AttemptOutcome): boolean {
  switch (outcome) {
    case 'server_error':
    case 'not_found':
    case 'timeout':
    case 'first_token_timeout':
    case 'stream_stalled':
    case 'connection_error':
    case 'bad_response':
      return true;
    default:
      return false;
  }
}

const BUCKETS = 10;

/** What `begin()` hands back when the breaker refuses an attempt. */
export const REFUSED = -1;

export class DeploymentBreaker {
  readonly #options: BreakerOptions;
  readonly #clock: Clock;
  readonly #listeners: BreakerListeners;
  readonly #bucketMs: number;
  readonly #calls = new Uint32Array(BUCKETS);
  readonly #failures = new Uint32Array(BUCKETS);
  /** Index of the current bucket, and the clock time it started. */
  #bucket = 0;
  #bucketStart: number;
  #windowCalls = 0;
  #windowFailures = 0;
  #inARow = 0;
  #state: 'closed' | 'open' = 'closed';
  /** While open: when it lets a probe through. */
  #until = 0;
  /** While half-open: the probe slot is taken. */
  #probing = false;
  #announcedHalfOpen = false;
  /** Changes on every transition, so an outcome from an earlier period is told apart. */
  #generation = 0;

  constructor(options: BreakerOptions, clock: Clock, listeners: BreakerListeners) {
    this.#options = options;
    this.#clock = clock;
    this.#listeners = listeners;
    this.#bucketMs = Math.max(1, options.rollingWindowMs / BUCKETS);
    this.#bucketStart = clock.now();
  }

  get state(): BreakerState {
    return this.#stateAt(this.#clock.now());
  }

  /** When open, the time at which it lets a probe through; 0 otherwise. */
  get reopensAt(): number {
    return this.#state === 'open' ? this.#until : 0;
  }

  /** True when an attempt may start now: closed, or half-open with its probe slot free. */
  canAttempt(now: number = this.#clock.now()): boolean {
    const state = this.#stateAt(now);
    return state === 'closed' || (state === 'half-open' && !this.#probing);
  }

  /**
   * Takes the breaker's permission for one attempt (in half-open, the probe slot). Returns a ticket
   * to hand to `record()`, or `REFUSED`.
   */
  begin(now: number = this.#clock.now()): number {
    const state = this.#stateAt(now);
    if (state === 'closed') return this.#generation;
    if (state === 'open' || this.#probing) return REFUSED;
    this.#probing = true;
    return this.#generation;
  }

  /** Records how an attempt that `begin()` let through ended. */
  record(ticket: number, outcome: AttemptOutcome, now: number = this.#clock.now()): void {
    if (ticket !== this.#generation) return; // started before the last transition: says nothing now
    const success = outcome === 'success';
    const counted = success || countsForBreaker(outcome);
    if (this.#state === 'open') {
      // The probe.
      this.#probing = false;
      if (!counted) return;
      if (success) this.#close(now);
      else this.#open(now + this.#options.resetTimeoutMs, now);
      return;
    }
    if (!counted) return;
    this.#rotate(now);
    this.#calls[this.#bucket]!++;
    this.#windowCalls++;
    if (success) {
      this.#inARow = 0;
      return;
    }
    this.#failures[this.#bucket]!++;
    this.#windowFailures++;
    this.#inARow++;
    const { consecutiveFailures, volumeThreshold, errorThresholdPercentage } = this.#options;
    if (
      (consecutiveFailures > 0 && this.#inARow >= consecutiveFailures) ||
      (this.#windowCalls >= volumeThreshold &&
        (this.#windowFailures / this.#windowCalls) * 100 > errorThresholdPercentage)
    ) {
      this.#open(now + this.#options.resetTimeoutMs, now);
    }
  }

  /** An active health probe answered: a success closes the breaker at once; a failure changes nothing. */
  recordProbe(success: boolean, now: number = this.#clock.now()): void {
    if (success && this.#state === 'open') this.#close(now);
  }

  /**
   * Applies what another replica's breaker did (a `stateChange` it announced): an open lasts until
   * the time it named (one reset period when it named none), a close closes with a fresh window.
   * An open that has already ended there is not applied. Returns whether anything was.
   */
  applyShared(state: 'open' | 'closed', until: number | undefined, now: number = this.#clock.now()): boolean {
    if (state === 'closed') {
      if (this.#state === 'open') this.#close(now);
      return true;
    }
    if (until !== undefined && until <= now) return false;
    const end = until ?? now + this.#options.resetTimeoutMs;
    if (this.#state !== 'open' || this.#until < end) this.#open(end, now);
    return true;
  }

  #stateAt(now: number): BreakerState {
    if (this.#state === 'closed') return 'closed';
    if (now < this.#until) return 'open';
    if (!this.#announcedHalfOpen) {
      this.#announcedHalfOpen = true;
      this.#listeners.onHalfOpen();
    }
    return 'half-open';
  }

  #open(until: number, now: number): void {
    this.#state = 'open';
    this.#until = until;
    this.#probing = false;
    this.#announcedHalfOpen = false;
    this.#inARow = 0;
    this.#generation++;
    this.#listeners.onOpen(until);
    if (until <= now) this.#stateAt(now); // a zero reset period: half-open at once
  }

  #close(now: number): void {
    this.#state = 'closed';
    this.#until = 0;
    this.#probing = false;
    this.#inARow = 0;
    this.#generation++;
    this.#calls.fill(0);
    this.#failures.fill(0);
    this.#windowCalls = 0;
    this.#windowFailures = 0;
    this.#bucketStart = now;
    this.#listeners.onClose();
  }

  /** Moves the window forward to `now`, emptying the buckets that fell out of it. */
  #rotate(now: number): void {
    const steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    for (let i = 0; i < Math.min(steps, BUCKETS); i++) {
      this.#bucket = (this.#bucket + 1) % BUCKETS;
      this.#windowCalls -= this.#calls[this.#bucket]!;
      this.#windowFailures -= this.#failures[this.#bucket]!;
      this.#calls[this.#bucket] = 0;
      this.#failures[this.#bucket] = 0;
    }
    this.#bucketStart += steps * this.#bucketMs;
  }
}
