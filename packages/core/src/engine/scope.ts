/**
 * The clocks and abort wiring of a request and of each attempt. Every timer is a real timer that
 * is cleared when its scope ends, and every listener added to a caller's signal is removed.
 */
import { type Clock, systemClock } from '../clock';
import { type Classification, timeoutClassification } from '../policies/classify';
import { parseRawHeaders, type RawHeaders } from '../transport/raw-headers';
import { type AbortLike, LightSignal } from './signal';

export type AbortCause = 'caller' | 'deadline' | 'closed';

const ONCE = Object.freeze({ once: true });

/**
 * A request: the caller's signal(s) plus the deadline. It holds no AbortController of its own (one
 * per attempt is enough): whatever runs under it at the moment — an attempt or a wait, several
 * while a hedge races — is attached and told when the request is aborted.
 */
export class RequestScope {
  readonly startedAt: number;
  readonly deadlineAt: number;
  readonly deadlineMs: number;
  aborted = false;
  cause: AbortCause | undefined;
  reason: unknown;
  /** The client is closing: no new attempt or wait may start (the one in flight may finish). */
  closing = false;
  readonly clock: Clock;
  readonly #callerSignal: AbortLike | undefined;
  readonly #boundSignal: AbortLike | undefined;
  readonly #active: ActiveRequests | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  /** What runs under the request now: one thing, and more only while attempts race. */
  #current: (() => void) | undefined;
  #more: (() => void)[] | undefined;
  /** What runs now that is a wait (ended by `close()` too), not an attempt. */
  #waits: Set<() => void> | undefined;

  /**
   * @param callerSignal the call's own signal
   * @param boundSignal a second signal from a bound client or a route (e.g. the HTTP request's)
   * @param clock what `remaining()` and `elapsed()` read; the deadline itself is a real timer
   * @param active the client's requests in progress, which this one joins until disposed
   */
  constructor(
    deadlineMs: number,
    callerSignal: AbortLike | undefined,
    boundSignal?: AbortLike,
    clock: Clock = systemClock,
    active?: ActiveRequests,
  ) {
    this.#active = active;
    active?.add(this);
    this.clock = clock;
    this.startedAt = clock.now();
    this.deadlineMs = deadlineMs;
    this.deadlineAt = this.startedAt + deadlineMs;
    this.#callerSignal = callerSignal;
    this.#boundSignal = boundSignal;
    if (callerSignal?.aborted || boundSignal?.aborted) {
      this.#abort('caller', callerSignal?.reason ?? boundSignal?.reason);
      return;
    }
    callerSignal?.addEventListener('abort', this.#onCallerAbort, ONCE);
    boundSignal?.addEventListener('abort', this.#onBoundAbort, ONCE);
    this.#deadlineTimer = setTimeout(this.#onDeadline, deadlineMs);
  }

  remaining(now: number = this.clock.now()): number {
    return this.deadlineAt - now;
  }

  elapsed(now: number = this.clock.now()): number {
    return now - this.startedAt;
  }

  /**
   * Registers something that runs under the request; it is called once if the request is aborted.
   * A `wait` is also ended by `close()`.
   */
  attach(onAbort: () => void, wait = false): void {
    if (wait) {
      this.#waits ??= new Set();
      this.#waits.add(onAbort);
    }
    if (this.#current === undefined) this.#current = onAbort;
    else if (this.#more) this.#more.push(onAbort);
    else this.#more = [onAbort];
  }

  detach(onAbort: () => void): void {
    this.#waits?.delete(onAbort);
    if (this.#current === onAbort) this.#current = undefined;
    else if (this.#more) {
      const at = this.#more.indexOf(onAbort);
      if (at !== -1) this.#more.splice(at, 1);
    }
  }

  /** Stops the deadline clock (a stream past its first token is bounded by its idle clock instead). */
  stopDeadline(): void {
    if (this.#deadlineTimer) clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
  }

  abort(cause: AbortCause, reason?: unknown): void {
    this.#abort(cause, reason);
  }

  /** The client is closing: no new attempt starts, and a wait in progress ends now. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const waits = this.#waits;
    this.#waits = undefined;
    if (waits) for (const onEnd of waits) onEnd();
  }

  dispose(): void {
    this.stopDeadline();
    this.#current = undefined;
    this.#more = undefined;
    this.#waits = undefined;
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
    this.#boundSignal?.removeEventListener('abort', this.#onBoundAbort);
    this.#active?.delete(this);
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
    const more = this.#more;
    this.#current = undefined;
    this.#more = undefined;
    current?.();
    if (more) for (const onAbort of more) onAbort();
  }
}

type AttemptClock = 'timeout' | 'first_token_timeout' | 'stream_stalled';

/**
 * One attempt: its own signal under the request's (a `LightSignal`, which undici takes, rather than
 * an `AbortController` per attempt), and one re-armable clock.
 */
export class AttemptScope {
  readonly #signal = new LightSignal();
  /** Set when the attempt's own clock fired. */
  timedOut: Classification | undefined;
  /** Set when the engine gave the attempt up (another one answered first). */
  cancelled = false;
  #headers: Readonly<Record<string, string | string[] | undefined>> | undefined;
  #rawHeaders: RawHeaders | null | undefined;
  readonly #parent: RequestScope;
  #timer: NodeJS.Timeout | undefined;
  #clock: AttemptClock = 'timeout';
  #clockMs = 0;
  /** `performance.now()` when the clock last started or was refreshed. */
  #since = 0;
  /** `performance.now()` when the timer set now fires. */
  #firesAt = 0;

  constructor(parent: RequestScope) {
    this.#parent = parent;
    if (parent.aborted) this.#signal.abort(parent.reason);
    else parent.attach(this.#onParentAbort);
  }

  /**
   * Headers of the upstream answer, once it came (whatever its status): read for rate limits and
   * failures. Raw headers given by a dispatch handler are parsed only when read.
   */
  get responseHeaders(): Readonly<Record<string, string | string[] | undefined>> | undefined {
    if (this.#headers === undefined && this.#rawHeaders) this.#headers = parseRawHeaders(this.#rawHeaders);
    return this.#headers;
  }

  set responseHeaders(headers: Readonly<Record<string, string | string[] | undefined>> | undefined) {
    this.#headers = headers;
    this.#rawHeaders = undefined;
  }

  /** The answer's headers as a dispatch handler got them, parsed on first read. */
  setRawHeaders(raw: RawHeaders | null): void {
    this.#headers = undefined;
    this.#rawHeaders = raw;
  }

  /** Aborted when the attempt's clock fires, the request is aborted, or `abort()` is called. */
  get signal(): LightSignal {
    return this.#signal;
  }

  /** The request above was aborted (caller or deadline), not this attempt's own clock. */
  get parentAborted(): boolean {
    return this.#parent.aborted;
  }

  /**
   * Starts (or restarts with a new meaning) the attempt's clock. A timer already set to fire no
   * later than the new period ends is kept: when it fires, it waits out the rest.
   */
  arm(ms: number, clock: AttemptClock): void {
    const now = performance.now();
    const ms0 = Math.max(0, ms);
    this.#clock = clock;
    this.#clockMs = ms0;
    this.#since = now;
    if (this.#timer) {
      if (this.#firesAt <= now + ms0) return;
      clearTimeout(this.#timer);
    }
    this.#set(ms0, now);
  }

  /**
   * Restarts the running clock from now (one call per stream chunk). It only notes the time: the
   * timer, when it fires, starts again for whatever part of the period has not passed since.
   */
  refresh(): void {
    if (this.#timer) this.#since = performance.now();
  }

  disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Starts the clock stopped by `disarm()` again, from zero, with the meaning it had. */
  resume(): void {
    if (!this.#timer && !this.#signal.aborted) this.arm(this.#clockMs, this.#clock);
  }

  abort(reason?: unknown): void {
    this.#signal.abort(reason);
  }

  /** Gives the attempt up: another attempt of the same request answered first. */
  cancel(): void {
    if (this.#signal.aborted) return;
    this.cancelled = true;
    this.#signal.abort(new Error('cancelled: another attempt answered first'));
  }

  dispose(): void {
    this.disarm();
    this.#parent.detach(this.#onParentAbort);
  }

  readonly #onParentAbort = (): void => this.#signal.abort(this.#parent.reason);
  #set(ms: number, now: number): void {
    this.#firesAt = now + ms;
    this.#timer = setTimeout(this.#onTimeout, ms);
  }

  readonly #onTimeout = (): void => {
    const now = performance.now();
    const left = this.#clockMs - (now - this.#since);
    // Refreshed or re-armed since it was set: wait out the rest (under a millisecond is the
    // timer's own grain).
    if (left >= 1) {
      this.#set(left, now);
      return;
    }
    this.#timer = undefined;
    this.timedOut = timeoutClassification(this.#clock, this.#clockMs);
    this.#signal.abort(new Error(this.timedOut.message));
  };
}

/** Something that may end a wait early (a hedge's lane that lost its race). */
export interface Wakeable {
  wake: (() => void) | undefined;
}

/**
 * Waits `ms`, or rejects as soon as the request is aborted or closed; resolves early when
 * `waker.wake()` is called. The timer is always cleared.
 */
export function sleep(ms: number, scope: RequestScope, waker?: Wakeable): Promise<void> {
  if (scope.aborted || scope.closing) return Promise.reject(scope.reason);
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      scope.detach(onAbort);
      if (waker) waker.wake = undefined;
    };
    const onAbort = () => {
      settle();
      reject(scope.reason);
    };
    const timer = setTimeout(() => {
      settle();
      resolve();
    }, ms);
    scope.attach(onAbort, true);
    if (waker) {
      waker.wake = () => {
        settle();
        resolve();
      };
    }
  });
}

/**
 * The requests in progress of one client. Closing the client drains them: none may start another
 * attempt or wait, those in flight get a grace period to finish, then the rest are aborted.
 */
export class ActiveRequests {
  readonly #scopes = new Set<RequestScope>();
  #onIdle: (() => void) | undefined;
  #abortAt = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #drained: Promise<void> | undefined;

  get size(): number {
    return this.#scopes.size;
  }

  add(scope: RequestScope): void {
    this.#scopes.add(scope);
  }

  delete(scope: RequestScope): void {
    if (this.#scopes.delete(scope) && this.#scopes.size === 0) this.#onIdle?.();
  }

  /**
   * Closes every request now, and resolves once they have all ended: by themselves within `ms`, or
   * aborted (cause `closed`) when `ms` is up. A later call with a shorter `ms` brings that forward.
   */
  drain(ms: number): Promise<void> {
    for (const scope of this.#scopes) scope.close();
    const abortAt = Date.now() + ms;
    if (abortAt < this.#abortAt) {
      this.#abortAt = abortAt;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = setTimeout(this.#abortAll, ms);
    }
    this.#drained ??= new Promise<void>((resolve) => {
      this.#onIdle = () => {
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = undefined;
        resolve();
      };
      if (this.#scopes.size === 0) this.#onIdle();
    });
    return this.#drained;
  }

  readonly #abortAll = (): void => {
    this.#timer = undefined;
    for (const scope of [...this.#scopes]) scope.abort('closed', new Error('the client was closed'));
    // Each aborted call ends on its own; the drain is over once they have been told.
    setImmediate(() => this.#onIdle?.());
  };
}
