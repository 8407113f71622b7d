/**
 * The clocks and abort wiring of a request and of each attempt. Every timer is a real timer that
 * is cleared when its scope ends, and every listener added to a caller's signal is removed.
 */
import { type Classification, timeoutClassification } from '../policies/classify';

export type AbortCause = 'caller' | 'deadline' | 'closed';

/**
 * A request: the caller's signal(s) plus the deadline. It holds no AbortController of its own (one
 * per attempt is enough): whatever runs under it at the moment — one attempt or one wait — is
 * attached and told when the request is aborted.
 */
export class RequestScope {
  readonly startedAt: number;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  aborted = false;
  cause: AbortCause | undefined;
  reason: unknown;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #boundSignal: AbortSignal | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #current: (() => void) | undefined;

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

  remaining(now: number = Date.now()): number {
    return this.deadlineAt - now;
  }

  elapsed(now: number = Date.now()): number {
    return now - this.startedAt;
  }

  /** Registers what runs under the request now; it is called once if the request is aborted. */
  attach(onAbort: () => void): void {
    this.#current = onAbort;
  }

  detach(onAbort: () => void): void {
    if (this.#current === onAbort) this.#current = undefined;
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
    this.#current = undefined;
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
    if (this.aborted) return;
    this.aborted = true;
    this.cause = cause;
    this.reason = reason ?? new Error(`request ${cause === 'deadline' ? 'deadline exceeded' : 'aborted'}`);
    const current = this.#current;
    this.#current = undefined;
    current?.();
  }
}

type AttemptClock = 'timeout' | 'first_token_timeout' | 'stream_stalled';

/** One attempt: its own abort controller under the request's, and one re-armable clock. */
export class AttemptScope {
  readonly controller = new AbortController();
  /** Set when the attempt's own clock fired. */
  timedOut: Classification | undefined;
  readonly #parent: RequestScope;
  #timer: NodeJS.Timeout | undefined;
  #clock: AttemptClock = 'timeout';
  #clockMs = 0;

  constructor(parent: RequestScope) {
    this.#parent = parent;
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.attach(this.#onParentAbort);
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

  /** Starts the clock stopped by `disarm()` again, from zero, with the meaning it had. */
  resume(): void {
    if (!this.#timer && !this.controller.signal.aborted) this.arm(this.#clockMs, this.#clock);
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  dispose(): void {
    this.disarm();
    this.#parent.detach(this.#onParentAbort);
  }

  readonly #onParentAbort = (): void => this.controller.abort(this.#parent.reason);
  readonly #onTimeout = (): void => {
    this.#timer = undefined;
    this.timedOut = timeoutClassification(this.#clock, this.#clockMs);
    this.controller.abort(new Error(this.timedOut.message));
  };
}

/** Waits `ms`, or rejects as soon as the request is aborted; the timer is always cleared. */
export function sleep(ms: number, scope: RequestScope): Promise<void> {
  if (scope.aborted) return Promise.reject(scope.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(scope.reason);
    };
    const timer = setTimeout(() => {
      scope.detach(onAbort);
      resolve();
    }, ms);
    scope.attach(onAbort);
  });
}
