/** What a call reports about its attempts, and the health and state vocabulary of deployments. */
import type { Usage } from './wire';

/** What happened on one attempt. */
export type AttemptOutcome =
  | 'success'
  | 'rate_limited'
  | 'server_error'
  | 'auth_error'
  | 'client_error'
  | 'context_length'
  | 'not_found'
  | 'timeout'
  | 'first_token_timeout'
  | 'stream_stalled'
  | 'connection_error'
  | 'bad_response'
  | 'aborted';

/** What the engine did next. */
export type AttemptDecision = 'done' | 'retry' | 'failover' | 'stop' | 'cancelled';

export interface AttemptReport {
  deployment: string;
  provider: string;
  /** Model group the deployment was tried for. */
  group: string;
  outcome: AttemptOutcome;
  decision: AttemptDecision;
  status?: number;
  latencyMs: number;
  /** Error message with secrets removed. */
  error?: string;
  /** Wait asked for by the provider (Retry-After), if any. */
  retryAfterMs?: number;
  /** Region of the deployment, when it has one. */
  region?: string;
  /** True when the deployment is the group's canary. */
  canary?: boolean;
  /** Started as a hedge, in parallel with an attempt that had not answered yet. */
  hedged?: boolean;
}

export interface RequestReport {
  requestId: string;
  /** The model group asked for. */
  model: string;
  /** The deployment that answered (`provider/model`). */
  deployment?: string;
  /** The model the provider says answered (the `model` of its response), when it names one. */
  responseModel?: string;
  provider?: string;
  /** The model group the answering deployment belongs to: `model`, unless a fallback group answered. */
  servedBy?: string;
  attempts: AttemptReport[];
  /** Attempts that moved on to another deployment. */
  failovers: number;
  /** Hedges started (attempts with `hedged: true`); absent when none. */
  hedges?: number;
  usage?: Usage;
  costUsd?: number;
  latencyMs: number;
  /** Streaming only: time to the first content chunk. */
  timeToFirstTokenMs?: number;
  metadata?: Record<string, string>;
  /** Region of the deployment that answered, when it has one. */
  region?: string;
  /** True when a region was preferred and the deployment that answered is elsewhere. */
  crossedRegion?: boolean;
  /** True when the group's canary answered. */
  canary?: boolean;
}

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/**
 * Something one client learned about a deployment or a key, in a form another replica can apply
 * (`client.applyStateChange()`): a breaker that opened or closed, a key or deployment cooling down.
 * Keys are named by a fingerprint (a truncated SHA-256), never by their value.
 */
export type StateChange =
  | {
      kind: 'breaker';
      deployment: string;
      state: 'open' | 'closed';
      /** For `open`: epoch ms the breaker lets a probe call through. */
      until?: number;
    }
  | {
      kind: 'cooldown';
      provider: string;
      /** Fingerprint of the key, or null when the provider is keyless (the deployment cools down). */
      key: string | null;
      deployment: string;
      /** Epoch ms the cooldown ends. */
      until: number;
      reason: 'rate_limited' | 'auth';
    };
export type BreakerState = 'closed' | 'open' | 'half-open';
