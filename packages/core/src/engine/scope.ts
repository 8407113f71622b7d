/**
 * The clocks and abort wiring of a request and of each attempt. Every timer is a real timer that
 * is cleared when its scope ends, and every listener added to a caller's signal is removed.
 */
import { type Classification, timeoutClassification } from '../policies/classify';

export type AbortCause = 'caller' | 'deadline' | 'closed';

/** A request: the caller's signal plus the deadline, as one signal for everything below. */
export class RequestScope {
  readonly controller = new AbortController();
  readonly startedAt: number;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  cause: AbortCause | undefined;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #boundSignal: AbortSignal | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;

  /**
   * @param callerSignal the call's own signal
   * @param boundSignal a second signal from a bound client (e.g. the HTTP request's)
   */
  constructor(deadlineMs: number, callerSignal: AbortSignal | undefined, boundSignal?: AbortSignal) {
    this.startedAt = Date.now();
    this.deadlineMs = deadlineMs;
    this.deadlineAt = this.startedAt + deadlineMs;
    this.#callerSignal = callerSignal;
    this.#boundSignal = boundSignal;
    if (callerSignal?.aborted || boundSignal?.aborted) {
      this.#abort('caller', callerSignal?.reason ?? boundSignal?.reason);
      return;
    }
    callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
    boundSignal?.addEventListener('abort', this.#onBoundAbort, { once: true });
    this.#deadlineTimer = setTimeout(this.#onDeadline, deadlineMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remaining(now: number = Date.now()): number {
    return this.deadlineAt - now;
  }

  elapsed(now: number = Date.now()): number {
    return now - this.startedAt;
  }

  /** Stops the deadline clock (a stream past its first token is bounded by its idle clock instead). */
  stopDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
  }

  abort(cause: AbortCause, reason?: unknown): void {
    this.#abort(cause, reason);
  }

  dispose(): void {
    this.stopDeadline();
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
    this.#boundSignal?.removeEventListener('abort', this.#onBoundAbort);
  }

  readonly #onCallerAbort = (): void => this.#abort('caller', this.#callerSignal?.reason);
  readonly #onBoundAbort = (): void => this.#abort('caller', this.#boundSignal?.reason);
  readonly #onDeadline = (): void => {
    this.#deadlineTimer = undefined;
    this.#abort('deadline');
  };

  #abort(cause: AbortCause, reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    this.cause = cause;
    this.controller.abort(
      reason ?? new Error(`request ${cause === 'deadline' ? 'deadline exceeded' : 'aborted'}`),
    );
  }
}

type AttemptClock = 'timeout' | 'first_token_timeout' | 'stream_stalled';

/** One attempt: its own abort controller under the request's, and one re-armable clock. */
export class AttemptScope {
  readonly controller = new AbortController();
  /** Set when the attempt's own clock fired. */
  timedOut: Classification | undefined;
  readonly #parent: AbortSignal;
  #timer: NodeJS.Timeout | undefined;
  #clock: AttemptClock = 'timeout';
  #clockMs = 0;

  constructor(parent: AbortSignal) {
    this.#parent = parent;
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The request above was aborted (caller or deadline), not this attempt's own clock. */
  get parentAborted(): boolean {
    return this.#parent.aborted;
  }

  /** Starts (or restarts with a new meaning) the attempt's clock. */
  arm(ms: number, clock: AttemptClock): void {
    this.#clock = clock;
    this.#clockMs = ms;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimeout, Math.max(0, ms));
  }

  /** Restarts the running clock from now without allocating a new timer (one call per stream chunk). */
  refresh(): void {
    this.#timer?.refresh();
  }

  disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  dispose(): void {
    this.disarm();
    this.#parent.removeEventListener('abort', this.#onParentAbort);
  }

  readonly #onParentAbort = (): void => this.controller.abort(this.#parent.reason);
  readonly #onTimeout = (): void => {
    this.#timer = undefined;
    this.timedOut = timeoutClassification(this.#clock, this.#clockMs);
    this.controller.abort(new Error(this.timedOut.message));
  };
}

/** Waits `ms`, or rejects as soon as `signal` aborts; the timer and listener are always removed. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
