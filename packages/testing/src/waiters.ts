interface Waiter {
  check(): void;
  cancel(error: Error): void;
}

/** Promises that resolve once a condition holds, each with a tracked timeout. */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  /**
   * Resolves with the first non-`undefined` value of `ready`, checked now and on each {@link poke};
   * rejects after `timeoutMs` with `describe()` in the message.
   */
  wait<T>(ready: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    const value = ready();
    if (value !== undefined) return Promise.resolve(value);
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(waiter);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        check: () => {
          const next = ready();
          if (next === undefined) return;
          finish();
          resolve(next);
        },
        cancel: (error) => {
          finish();
          reject(error);
        },
      };
      this.pending.add(waiter);
    });
  }

  /** Re-checks every pending condition. */
  poke(): void {
    for (const waiter of [...this.pending]) waiter.check();
  }

  /** Rejects every pending promise with `error` and clears their timeouts. */
  cancelAll(error: Error): void {
    for (const waiter of [...this.pending]) waiter.cancel(error);
  }
}
