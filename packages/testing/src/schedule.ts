import type { Fault } from './fault-types';
import type { SchedulePhase } from './types';

/**
 * A sequence of phases, the first beginning when the schedule is created. A phase ends after its
 * `requests` or `forMs` (whichever comes first) and the next one begins then; the last lasts forever.
 */
export class Schedule {
  private index = 0;
  private startedAt: number;
  private served = 0;

  constructor(
    private readonly phases: readonly SchedulePhase[],
    now: number,
  ) {
    if (phases.length === 0) throw new Error('A schedule needs at least one phase');
    this.startedAt = now;
  }

  /** The fault for a request arriving at `now`, counting that request in its phase. */
  next(now: number): Fault {
    this.advance(now);
    const phase = this.phases[this.index]!;
    this.served++;
    if (!this.isLast() && phase.requests !== undefined && this.served >= phase.requests) {
      this.begin(this.index + 1, now);
    }
    return phase.fault;
  }

  private isLast(): boolean {
    return this.index === this.phases.length - 1;
  }

  private advance(now: number): void {
    while (!this.isLast()) {
      const phase = this.phases[this.index]!;
      if (phase.requests !== undefined && this.served >= phase.requests) {
        this.begin(this.index + 1, now);
      } else if (phase.forMs !== undefined && now - this.startedAt >= phase.forMs) {
        this.begin(this.index + 1, this.startedAt + phase.forMs);
      } else {
        return;
      }
    }
  }

  private begin(index: number, at: number): void {
    this.index = index;
    this.startedAt = at;
    this.served = 0;
  }
}
