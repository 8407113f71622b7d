/** What one call takes besides its request, and what it returns. */
import type { HedgeConfig } from './config';
import type { RequestReport } from './reports';
import type { ChatCompletion, EmbeddingsResponse } from './wire';

/** Options of one call. */
export interface CallOptions {
  /** Model group to use (default: the config's `defaultModel`). */
  model?: string;
  /** Groups to try after `model`'s own deployments, replacing the group's configured fallbacks. */
  fallbacks?: readonly string[];
  /** Aborts the call, upstream included. */
  signal?: AbortSignal;
  /** Budget for the whole call (default: policy.deadlineMs). */
  deadlineMs?: number;
  /** Key for consistent hashing (a user or session id). */
  affinityKey?: string;
  /** Extra attempts on the same deployment for a transient failure. */
  retries?: number;
  /** Per-attempt timeout (default: the provider's). */
  timeoutMs?: number;
  /** Hedged requests for this call, replacing the group's; `false` turns them off. */
  hedge?: HedgeConfig | false;
  /** Free-form labels copied to the report and events (never sent upstream). */
  metadata?: Record<string, string>;
  /** Region to try first (default: the config's `region`). */
  region?: string;
}

export interface ChatResult {
  response: ChatCompletion;
  report: RequestReport;
}

export interface EmbeddingsResult {
  response: EmbeddingsResponse;
  report: RequestReport;
}
