/**
 * A circuit breaker per deployment, on opossum. This is the one file that speaks opossum: its
 * `errorFilter` returns true for "do NOT count this", the reverse of our classifier's
 * `countsForBreaker`, and its constructor writes into the options object, so it gets a fresh one.
 */
import type { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { BreakerState, ResolvedPolicy } from '../types';

/** Thrown through the breaker so it can tell what counts as a failure. */
export interface BreakerCountable {
  readonly countsForBreaker: boolean;
}

export interface BreakerListeners {
  onOpen(): void;
  onHalfOpen(): void;
  onClose(): void;
}

type Action = <T>(run: () => Promise<T>) => Promise<T>;

const passThrough: Action = (run) => run();

function counts(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as Partial<BreakerCountable>).countsForBreaker === true
  );
}

export class DeploymentBreaker {
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;
  readonly #resetTimeoutMs: number;
  #openedAt = 0;

  constructor(options: ResolvedPolicy['breaker'], rotate: EventEmitter, listeners: BreakerListeners) {
    this.#resetTimeoutMs = options.resetTimeoutMs;
    this.#breaker = new CircuitBreaker(passThrough, {
      timeout: false, // attempts are timed by the engine, per attempt and per stream clock
      errorThresholdPercentage: options.errorThresholdPercentage,
      volumeThreshold: options.volumeThreshold,
      resetTimeout: options.resetTimeoutMs,
      rollingCountTimeout: options.rollingWindowMs,
      rollingCountBuckets: 10,
      rotateBucketController: rotate,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      errorFilter: (error: unknown) => !counts(error),
    });
    this.#breaker.on('open', () => {
      this.#openedAt = Date.now();
      listeners.onOpen();
    });
    this.#breaker.on('halfOpen', () => listeners.onHalfOpen());
    this.#breaker.on('close', () => listeners.onClose());
  }

  get state(): BreakerState {
    if (this.#breaker.closed) return 'closed';
    return this.#breaker.halfOpen ? 'half-open' : 'open';
  }

  /** True when a call may go through now: closed, or half-open with its one probe slot free. */
  get canAttempt(): boolean {
    return this.#breaker.closed || this.#breaker.pendingClose;
  }

  /** When open, the time (epoch ms) at which it lets a probe through; 0 otherwise. */
  get reopensAt(): number {
    return this.#breaker.opened ? this.#openedAt + this.#resetTimeoutMs : 0;
  }

  /**
   * Runs one attempt through the breaker. An error with `countsForBreaker: true` counts as a
   * failure; any other error passes through without counting.
   */
  run<T>(attempt: () => Promise<T>): Promise<T> {
    return this.#breaker.fire(attempt) as Promise<T>;
  }

  /**
   * An attempt abandoned by its caller proves nothing: if it was the half-open probe, opossum has
   * already closed the breaker on the filtered error, so put it back to open.
   */
  revertProbe(): void {
    this.#breaker.open();
  }

  /** Closes the breaker at once (a successful active health probe). */
  close(): void {
    if (!this.#breaker.closed) this.#breaker.close();
  }

  /** Opens the breaker at once. */
  open(): void {
    if (!this.#breaker.opened) this.#breaker.open();
  }

  shutdown(): void {
    this.#breaker.shutdown();
  }
}
