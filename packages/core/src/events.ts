/** Typed events. `on()` returns a disposer; payloads are built only when someone listens. */
import type { ShadowComparison } from './engine/shadow';
import type { CanaryChange } from './routing/canary';
import type {
  AttemptOutcome,
  AttemptReport,
  BreakerState,
  HealthStatus,
  RequestReport,
  StateChange,
} from './types';

export type { ShadowComparison, ShadowSide } from './engine/shadow';
export type { CanaryChange, CanaryReason } from './routing/canary';

export interface AttemptEvent {
  requestId: string;
  model: string;
  attempt: AttemptReport;
}

export interface SuccessEvent {
  requestId: string;
  report: RequestReport;
}

export interface FailoverEvent {
  requestId: string;
  model: string;
  /** Deployment left behind. */
  from: string;
  reason: AttemptOutcome;
  status?: number;
}

export interface HedgeEvent {
  requestId: string;
  model: string;
  /** Deployment the hedge was started on. */
  deployment: string;
  /** Time into the request at which it started. */
  afterMs: number;
}

export interface RequestErrorEvent {
  requestId: string;
  model: string;
  error: Error;
  report: RequestReport;
}

export interface BreakerEvent {
  deployment: string;
  state: BreakerState;
}

export interface HealthChangeEvent {
  deployment: string;
  status: HealthStatus;
  previous: HealthStatus;
}

export interface AiFailoverEvents {
  attempt: AttemptEvent;
  success: SuccessEvent;
  failover: FailoverEvent;
  /** A hedge started: the next candidate raced an attempt that had not answered in time. */
  hedge: HedgeEvent;
  requestError: RequestErrorEvent;
  breakerOpen: BreakerEvent;
  breakerHalfOpen: BreakerEvent;
  breakerClose: BreakerEvent;
  healthChange: HealthChangeEvent;
  /** A change learned from this client's own traffic (not one applied from elsewhere), for sharing across replicas. */
  stateChange: StateChange;
  /** A canary's share changed: rolled back by its rules, or by `promote`, `rollback`, `setCanaryPercent`. */
  canaryChange: CanaryChange;
  /** A call and its shadow, compared. */
  shadowComparison: ShadowComparison;
}

export type EventName = keyof AiFailoverEvents;
export type Listener<K extends EventName> = (event: AiFailoverEvents[K]) => void;
export type Disposer = () => void;

/** A minimal typed emitter. A listener that throws is reported to `onListenerError`, never to the request. */
export class Events {
  readonly #listeners: { [K in EventName]?: Listener<K>[] } = {};
  readonly #onListenerError: (error: unknown, event: EventName) => void;

  constructor(onListenerError: (error: unknown, event: EventName) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  on<K extends EventName>(event: K, listener: Listener<K>): Disposer {
    let list = this.#listeners[event] as Listener<K>[] | undefined;
    if (!list) {
      list = [];
      (this.#listeners as Record<EventName, unknown>)[event] = list;
    }
    list.push(listener);
    return () => {
      const at = list.indexOf(listener);
      if (at !== -1) list.splice(at, 1);
    };
  }

  /** True when the event has a listener, so callers can skip building a payload nobody reads. */
  has(event: EventName): boolean {
    const list = this.#listeners[event];
    return list !== undefined && list.length > 0;
  }

  emit<K extends EventName>(event: K, payload: AiFailoverEvents[K]): void {
    const list = this.#listeners[event] as Listener<K>[] | undefined;
    if (!list || list.length === 0) return;
    for (const listener of list.length === 1 ? list : list.slice()) {
      try {
        listener(payload);
      } catch (error) {
        this.#onListenerError(error, event);
      }
    }
  }

  clear(): void {
    for (const key of Object.keys(this.#listeners) as EventName[]) delete this.#listeners[key];
  }
}
