/**
 * A cancellation signal for the hot path. An `AbortController` costs an `EventTarget`, an `Event`
 * per abort and option parsing on every listener; an attempt needs none of that: a flag, a reason
 * and the two or three listeners of the calls made under it. undici takes any object with
 * `aborted`, `reason` and `addEventListener`/`removeEventListener` as a request's `signal`.
 */

/** What the engine and undici read of a signal. `AbortSignal` has this shape too. */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export class LightSignal implements AbortLike {
  aborted = false;
  reason: unknown;
  /** Made by the first listener; cleared when the signal fires (every listener runs once). */
  #listeners: (() => void)[] | undefined;

  /** Adds a listener, called once when the signal aborts; none is kept once it has. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    if (this.#listeners) this.#listeners.push(listener);
    else this.#listeners = [listener];
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (!listeners) return;
    const at = listeners.lastIndexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  }

  /** Aborts once: sets the reason (an `AbortError` when none is given) and runs the listeners. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (!listeners) return;
    // As with an EventTarget, one listener that throws does not keep the others from running.
    let failure: { error: unknown } | undefined;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Listeners still waiting (for tests: none may be left once a call ends). */
  get listenerCount(): number {
    return this.#listeners?.length ?? 0;
  }
}
