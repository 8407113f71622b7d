/**
 * The circuit breaker of one deployment, and the whole of its decision: what counts, when it opens,
 * when it lets a probe through, what that probe decides, and what another replica or an active
 * health probe may do to it. opossum is the state machine (closed, open, half-open) and keeps the
 * rolling window; this file decides what it is told. It is the one file that speaks opossum.
 *
 * - Counted: failures that say the deployment is at fault (5xx, timeouts, resets, stalls, malformed
 *   answers, 404). Successes count as successes. Everything else (a caller's 400, a context-length
 *   error, a 429 or 401 that cools a key down, an aborted or cancelled attempt) counts as nothing:
 *   it never reaches opossum, so it never dilutes the failure rate and never decides a half-open
 *   probe. (opossum's `errorFilter` would record such an outcome as a success: it is not used.)
 * - Opens: after `consecutiveFailures` counted failures in a row (this file calls `open()`), or when
 *   the counted outcomes of the rolling window (`rollingWindowMs`, ten buckets) number at least
 *   `volumeThreshold` and more than `errorThresholdPercentage` of them failed (opossum's rule).
 * - Half-open: `resetTimeoutMs` after opening, one attempt (the probe) may go through. A success
 *   closes the breaker with a fresh window; a counted failure opens it for another period; an
 *   outcome that counts as nothing frees the slot for the next probe.
 * - Elsewhere: a replica's open breaker is held here, on top of opossum, until the time it named,
 *   and then lets one probe through as above; a close closes. A successful active health probe
 *   closes it at once; a failed one leaves it alone (health steers traffic away instead).
 *
 * How attempts reach opossum: an attempt runs outside opossum (the engine times and aborts it), and
 * its known, counted outcome is then reported through `fire()` of an action that returns an
 * already-settled thenable. opossum chains `.then()` / `.catch()` on what the action returns, and
 * these call back at once, so the outcome is recorded, and the breaker opened or closed, before
 * `fire()` returns. opossum's own `timeout` is off and the one-probe slot is kept here, since the
 * probe runs before its outcome is fired.
 *
 * Time: the window turns on the injected clock (`BucketRotation`, shared by every breaker of a
 * client: no timer at all), and so does a replica's open. The move from open to half-open is
 * opossum's own `resetTimeout` timer, in real time (unref'd, cleared by `shutdown()`): opossum goes
 * half-open only from that timer or when built from a saved state, so driving it from the clock
 * would mean rebuilding it every period. Tests that pass a reset period use short real ones.
 */
import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
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

/**
 * The rotation signal of opossum's rolling windows, one for every breaker of a client: each
 * `rotate` moves every window on by one bucket. It is emitted when a breaker records an outcome,
 * once per bucket period the injected clock says has passed, so windows move with the clock and no
 * breaker holds a timer for them.
 */
export class BucketRotation extends EventEmitter {
  readonly #bucketMs: number;
  #bucketStart: number;

  constructor(rollingWindowMs: number, clock: Clock) {
    super();
    this.setMaxListeners(0); // one listener per breaker
    this.#bucketMs = Math.max(1, rollingWindowMs / BUCKETS);
    this.#bucketStart = clock.now();
  }

  /** Moves every window on to `now`. */
  catchUp(now: number): void {
    const elapsed = now - this.#bucketStart;
    if (elapsed < this.#bucketMs) return;
    const steps = Math.floor(elapsed / this.#bucketMs);
    this.#bucketStart += steps * this.#bucketMs;
    for (let i = Math.min(steps, BUCKETS); i > 0; i--) this.emit('rotate');
  }
}

/** An outcome as opossum's action hands it back: a thenable that calls back at once. */
interface Settled {
  then(onSuccess: (value: undefined) => void): Settled;
  catch(onFailure: (error: Error) => void): Settled;
}

/** What opossum records for a counted failure (it is never thrown to anyone). */
const COUNTED_FAILURE = new Error('counted failure');

const SUCCEEDED: Settled = {
  // biome-ignore lint/suspicious/noThenProperty: a thenable is the point: opossum chains on it
  then(onSuccess) {
    onSuccess(undefined);
    return SUCCEEDED;
  },
  catch: () => SUCCEEDED,
};

const FAILED: Settled = {
  // biome-ignore lint/suspicious/noThenProperty: a thenable is the point: opossum chains on it
  then: () => FAILED,
  catch(onFailure) {
    onFailure(COUNTED_FAILURE);
    return FAILED;
  },
};

/** opossum's action: returns the outcome it is fired with. */
const settled = (outcome: Settled) => outcome as unknown as Promise<void>;

/** opossum's fallback: a counted failure resolves `fire()` instead of leaving a rejection to handle. */
const nothing = (): undefined => undefined;

/** opossum's `Status` turns its window with `rotateBucket()` (its listener on the rotation). */
interface TurningStatus {
  rotateBucket(): void;
}

/** The counts of the bucket of opossum's window that is being filled (`status.window[0]`). */
interface CountingStatus {
  readonly window: ReadonlyArray<{ successes: number; fires: number }>;
}

/** What `begin()` hands back when the breaker refuses an attempt. */
export const REFUSED = -1;

export class DeploymentBreaker {
  readonly #options: BreakerOptions;
  readonly #clock: Clock;
  readonly #listeners: BreakerListeners;
  readonly #rotation: BucketRotation;
  readonly #breaker: CircuitBreaker<[Settled], void>;
  #inARow = 0;
  /** Clock time opossum last opened. */
  #openedAt = 0;
  /**
   * A replica's open: the breaker stays open until this clock time. Once it has passed, and while
   * opossum itself is closed, the breaker is half-open for one probe. 0 when none.
   */
  #heldUntil = 0;
  /** While half-open: the probe slot is taken. */
  #probing = false;
  #announcedHalfOpen = false;
  /** Changes on every transition, so an outcome from an earlier period is told apart. */
  #generation = 0;
  /** The state it had when it was shut down. */
  #final: BreakerState = 'closed';
  /**
   * Successes seen while closed and not yet in opossum's window. A success cannot change a closed
   * breaker, so it is only counted here (no `fire()`, no promise per call) and credited to the
   * window's current bucket before anything reads or turns the window: a counted failure, a probe,
   * the rotation, an open.
   */
  #pending = 0;
  /** opossum's window has the shape crediting needs (else every success is fired, as opossum expects). */
  readonly #canCredit: boolean;

  /** @param rotation shared by every breaker of a client; a breaker alone makes its own */
  constructor(
    options: BreakerOptions,
    clock: Clock,
    listeners: BreakerListeners,
    rotation: BucketRotation = new BucketRotation(options.rollingWindowMs, clock),
  ) {
    this.#options = options;
    this.#clock = clock;
    this.#listeners = listeners;
    this.#rotation = rotation;
    // A fresh object: opossum writes its defaults into the one it is given.
    this.#breaker = new CircuitBreaker(settled, {
      timeout: false, // attempts are timed by the engine, per attempt and per stream clock
      resetTimeout: options.resetTimeoutMs,
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      rollingCountTimeout: options.rollingWindowMs,
      rollingCountBuckets: BUCKETS,
      rotateBucketController: rotation,
      rollingPercentilesEnabled: false,
      enableSnapshots: false, // no snapshot timer
    });
    this.#breaker.fallback(nothing);
    const bucket = (this.#breaker.status as unknown as Partial<CountingStatus>).window?.[0];
    this.#canCredit = typeof bucket?.successes === 'number' && typeof bucket.fires === 'number';
    // Before any window turns (the listeners of the shared rotation run in order: this one first).
    rotation.prependListener('rotate', this.#credit);
    this.#breaker.on('open', this.#opened);
    this.#breaker.on('halfOpen', this.#halfOpened);
    this.#breaker.on('close', this.#closed);
  }

  get state(): BreakerState {
    return this.#stateAt(this.#clock.now());
  }

  /**
   * When open, the time at which it lets a probe through (a moment from now when opossum's timer is
   * due but has not run yet); 0 otherwise.
   */
  get reopensAt(): number {
    const now = this.#clock.now();
    if (this.#stateAt(now) !== 'open') return 0;
    const own = this.#breaker.opened ? this.#openedAt + this.#options.resetTimeoutMs : 0;
    return Math.max(this.#heldUntil, own, now + 1);
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
    if (ticket !== this.#generation || this.#breaker.isShutdown) return; // from an earlier period
    const success = outcome === 'success';
    const counted = success || countsForBreaker(outcome);
    if (this.#probing) {
      this.#probing = false;
      if (!counted) return; // decides nothing: the slot is free for the next probe
      this.#count(success, now); // opossum half-open: a success closes it, a failure opens it
      if (this.#breaker.closed && this.#heldUntil !== 0) {
        // The probe after a replica's open, opossum closed all along.
        if (success) this.#closed();
        else this.#breaker.open();
      }
      return;
    }
    if (!counted) return;
    if (success && this.#canCredit && this.#breaker.closed && this.#heldUntil === 0) {
      this.#inARow = 0;
      this.#rotation.catchUp(now); // credits the earlier successes to their bucket if it turns
      this.#pending++;
      return;
    }
    this.#inARow = success ? 0 : this.#inARow + 1;
    this.#count(success, now); // opossum's failure-rate rule may open it, which starts a new period
    const { consecutiveFailures } = this.#options;
    if (consecutiveFailures > 0 && this.#inARow >= consecutiveFailures && this.#breaker.closed) {
      this.#breaker.open();
    }
  }

  /** An active health probe answered: a success closes the breaker at once; a failure changes nothing. */
  recordProbe(success: boolean): void {
    if (success) this.#close();
  }

  /**
   * Applies what another replica's breaker did (a `stateChange` it announced): an open lasts until
   * the time it named (one reset period when it named none), a close closes with a fresh window.
   * An open that has already ended there is not applied, nor one that ends before this breaker's
   * own. Returns whether the change was taken.
   */
  applyShared(state: 'open' | 'closed', until: number | undefined, now: number = this.#clock.now()): boolean {
    if (this.#breaker.isShutdown) return false;
    if (state === 'closed') {
      this.#close();
      return true;
    }
    if (until !== undefined && until <= now) return false;
    const end = until ?? now + this.#options.resetTimeoutMs;
    const own = this.#breaker.opened ? this.#openedAt + this.#options.resetTimeoutMs : 0;
    if (this.#stateAt(now) === 'open' && Math.max(this.#heldUntil, own) >= end) return true;
    this.#heldUntil = end;
    this.#startPeriod();
    this.#listeners.onOpen(end);
    return true;
  }

  /** Stops its timer and leaves the shared rotation. It keeps answering with the state it had. */
  shutdown(): void {
    if (this.#breaker.isShutdown) return;
    this.#announcedHalfOpen = true; // nothing is announced while it shuts down
    this.#final = this.#stateAt(this.#clock.now());
    this.#rotation.off('rotate', this.#credit);
    this.#breaker.shutdown();
  }

  #stateAt(now: number): BreakerState {
    const breaker = this.#breaker;
    if (breaker.closed && this.#heldUntil === 0) return 'closed';
    if (breaker.isShutdown) return this.#final;
    if (breaker.opened || now < this.#heldUntil) return 'open';
    if (!this.#announcedHalfOpen) {
      this.#announcedHalfOpen = true;
      this.#listeners.onHalfOpen();
    }
    return 'half-open';
  }

  /** Feeds one counted outcome to opossum, with its window moved on to `now` first. */
  #count(success: boolean, now: number): void {
    this.#rotation.catchUp(now);
    this.#credit();
    void this.#breaker.fire(success ? SUCCEEDED : FAILED);
  }

  /** Adds the pending successes to the bucket being filled, as opossum's own counting would. */
  readonly #credit = (): void => {
    const n = this.#pending;
    if (n === 0) return;
    this.#pending = 0;
    const bucket = (this.#breaker.status as unknown as CountingStatus).window[0]!;
    bucket.successes += n;
    bucket.fires += n;
  };

  /** Closes it, whether opossum or a replica's open held it. */
  #close(): void {
    if (this.#breaker.isShutdown) return;
    if (!this.#breaker.closed) {
      this.#breaker.close(); // its `close` event runs #closed
    } else if (this.#heldUntil !== 0) {
      this.#closed();
    }
  }

  /** A new period: attempts begun before it say nothing about it. */
  #startPeriod(): void {
    this.#generation++;
    this.#probing = false;
    this.#announcedHalfOpen = false;
    this.#inARow = 0;
  }

  readonly #opened = (): void => {
    this.#credit();
    const now = this.#clock.now();
    this.#openedAt = now;
    this.#startPeriod();
    this.#listeners.onOpen(Math.max(this.#heldUntil, now + this.#options.resetTimeoutMs));
  };

  readonly #halfOpened = (): void => {
    this.#stateAt(this.#clock.now()); // announced now, or when a replica's open ends
  };

  readonly #closed = (): void => {
    this.#pending = 0; // a fresh window
    this.#heldUntil = 0;
    this.#startPeriod();
    // A fresh window: a full turn empties it.
    const status = this.#breaker.status as unknown as TurningStatus;
    for (let i = 0; i < BUCKETS; i++) status.rotateBucket();
    this.#listeners.onClose();
  };
}
