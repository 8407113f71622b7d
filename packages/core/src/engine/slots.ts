/**
 * Callers waiting for a slot of a saturated provider (`maxConcurrent` calls in flight). A freed
 * slot wakes the oldest waiter; when that one does not take it (it gave up, or went elsewhere), the
 * next is woken on the following turn. Nobody polls: a waiter sleeps until a release or its own cap.
 */
import type { RequestScope } from './scope';

interface Waiter {
  /** Ends the wait (once); false when it had already ended. */
  wake(): boolean;
  readonly waiting: boolean;
}

export class SlotQueue {
  #waiters: Waiter[] = [];
  #head = 0;
  /** Waiters in the queue that ended on their own (timer, abort), dropped in batches. */
  #gone = 0;

  /** Waiters not yet woken (some may have ended on their own and not been skipped yet). */
  get size(): number {
    return this.#waiters.length - this.#head;
  }

  /**
   * Resolves at the next release that reaches this waiter, or after `maxMs`; rejects with the
   * request's reason when it is aborted. The timer and the abort hook are always removed.
   */
  wait(maxMs: number, scope: RequestScope): Promise<void> {
    if (scope.aborted || scope.closing) return Promise.reject(scope.reason);
    return new Promise((resolve, reject) => {
      let waiting = true;
      const end = (): boolean => {
        if (!waiting) return false;
        waiting = false;
        clearTimeout(timer);
        scope.detach(onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (!end()) return;
        this.#dropped();
        reject(scope.reason);
      };
      const timer = setTimeout(
        () => {
          if (!end()) return;
          this.#dropped();
          resolve();
        },
        Math.max(0, maxMs),
      );
      scope.attach(onAbort, true);
      this.#waiters.push({
        get waiting() {
          return waiting;
        },
        wake: () => {
          if (!end()) return false;
          resolve();
          return true;
        },
      });
    });
  }

  /** A waiter ended on its own: once they are many, the queue is rebuilt without them. */
  #dropped(): void {
    if (++this.#gone < 64 || this.#gone * 2 < this.size) return;
    this.#waiters = this.#waiters.slice(this.#head).filter((waiter) => waiter.waiting);
    this.#head = 0;
    this.#gone = 0;
  }

  /**
   * A slot was freed: wakes the oldest waiter still waiting. If the slot is still free after that
   * waiter's turn (`free()`), wakes the next, until one takes it or none is left.
   */
  release(free: () => boolean): void {
    if (!this.#wakeOne()) return;
    setImmediate(() => {
      if (free()) this.release(free);
    });
  }

  #wakeOne(): boolean {
    while (this.#head < this.#waiters.length) {
      const waiter = this.#waiters[this.#head]!;
      this.#waiters[this.#head++] = undefined as unknown as Waiter;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      if (waiter.wake()) return true;
      if (this.#gone > 0) this.#gone--;
    }
    this.#waiters.length = 0;
    this.#head = 0;
    this.#gone = 0;
    return false;
  }
}
