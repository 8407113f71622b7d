import type { Fault } from './fault-types';
import { fault } from './faults';
import { RateLimiter } from './rate-limiter';
import { routeError } from './routes';
import { Schedule } from './schedule';
import type { FaultHandler, RateLimitOptions, RecordedRequest, SchedulePhase } from './types';

/**
 * Decides the fault of each request, in order: the handler, the API key check, errors of the
 * URL or body, the rate limit, the scripted queue, the schedule, the default.
 */
export class FaultSelector {
  private queue: Fault[] = [];
  private fallback: Fault = fault.ok();
  private schedule: Schedule | undefined;
  private limiter: { limiter: RateLimiter; options: RateLimitOptions } | undefined;
  private handler: FaultHandler | undefined;

  constructor(
    private readonly apiKeys: readonly string[] | undefined,
    private readonly models: readonly string[],
  ) {}

  script(faults: readonly Fault[]): void {
    this.queue.push(...faults);
  }

  setDefault(next: Fault): void {
    this.fallback = next;
  }

  setSchedule(phases: readonly SchedulePhase[] | null, now: number): void {
    this.schedule = phases === null ? undefined : new Schedule(phases, now);
  }

  setRateLimit(options: RateLimitOptions | null): void {
    this.limiter = options === null ? undefined : { limiter: new RateLimiter(options), options };
  }

  setHandler(handler: FaultHandler | null): void {
    this.handler = handler ?? undefined;
  }

  get pending(): number {
    return this.queue.length;
  }

  reset(): void {
    this.queue = [];
    this.fallback = fault.ok();
    this.schedule = undefined;
    this.limiter = undefined;
    this.handler = undefined;
  }

  select(request: RecordedRequest, now: number): Fault {
    const handled = this.handler?.(request);
    if (handled) return handled;
    if (this.apiKeys && (request.apiKey === undefined || !this.apiKeys.includes(request.apiKey))) {
      return fault.unauthorized();
    }
    const error = routeError(request, this.models);
    if (error) return fault.status(error.status, { body: error.body });
    const limited = this.rateLimited(now);
    if (limited) return limited;
    return this.queue.shift() ?? this.schedule?.next(now) ?? this.fallback;
  }

  /** Rate-limit headers for an answer given at `now`, when the rate limit asks for them. */
  quotaHeaders(now: number): Record<string, string> | undefined {
    return this.limiter?.options.headers ? this.limiter.limiter.headers(now) : undefined;
  }

  private rateLimited(now: number): Fault | undefined {
    if (!this.limiter) return undefined;
    const result = this.limiter.limiter.take(now);
    if (result.admitted) return undefined;
    const fixed = this.limiter.options.retryAfterSeconds;
    if (fixed !== undefined) return fault.rateLimited({ retryAfterSeconds: fixed });
    return fault.rateLimited({
      retryAfterSeconds: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
      retryAfterMs: result.retryAfterMs,
    });
  }
}
