/**
 * What to do after a failed attempt: the one place that answers "retry, fail over, wait or stop?".
 * A pure function of the outcome and the request's state; the executor applies what it returns
 * (waits, cools the key down, changes the plan). Its table test mirrors the README's outcome table
 * row by row.
 */
import type { ResolvedPolicy } from '../types';
import { backoffDelay } from './backoff';
import type { Classification } from './classify';

export interface DecisionInput {
  readonly failure: Pick<Classification, 'outcome' | 'verdict' | 'retryAfterMs' | 'keyFault'>;
  /** Retries already made on this deployment in this request. */
  readonly retry: number;
  /** Retries allowed on one deployment. */
  readonly retries: number;
  /** Time left before the deadline, less the least an attempt needs. */
  readonly budgetMs: number;
  /** Another key of the same provider is usable now (the failed one aside). */
  readonly otherKeyUsable: boolean;
  /** The group has a context fallback the request has not moved to yet. */
  readonly contextFallback: boolean;
  /** Another candidate could take the call now, or another attempt of it is already running. */
  readonly alternative: boolean;
}

export type DecisionPolicy = Pick<
  ResolvedPolicy,
  'backoff' | 'maxRetryAfterMs' | 'rateLimitCooldownMs' | 'authCooldownMs'
>;

export interface Decision {
  readonly action: 'retry' | 'failover' | 'stop';
  /** Wait before the retry. */
  readonly waitMs: number;
  /** The key that failed (a keyless deployment: the deployment) cools down this long. */
  readonly cooldown?: { readonly reason: 'rate_limited' | 'auth'; readonly ms: number };
  /**
   * The deployment's place in this request's plan: kept (retried), deferred until it is usable
   * again, put last (its retry waits until every other candidate has failed), dropped, or the
   * whole plan moves to the context fallback group.
   */
  readonly plan: 'keep' | 'defer' | 'last' | 'drop' | 'context-fallback';
}

/**
 * Outcomes that spent the attempt's time (it ran into a clock) or say the deployment cannot be
 * reached: with another candidate at hand, retrying here first would spend the time a failover needs.
 */
export function spentItsTime(outcome: Classification['outcome']): boolean {
  return (
    outcome === 'timeout' ||
    outcome === 'first_token_timeout' ||
    outcome === 'stream_stalled' ||
    outcome === 'connection_error'
  );
}

const STOP: Decision = Object.freeze({ action: 'stop', waitMs: 0, plan: 'keep' });
const DROP: Decision = Object.freeze({ action: 'failover', waitMs: 0, plan: 'drop' });
const LAST: Decision = Object.freeze({ action: 'failover', waitMs: 0, plan: 'last' });

export function decide(
  input: DecisionInput,
  policy: DecisionPolicy,
  random: () => number = Math.random,
): Decision {
  const { failure, budgetMs } = input;
  const canRetry = input.retry < input.retries;
  switch (failure.verdict) {
    case 'fatal':
      return STOP;
    case 'context':
      return input.contextFallback ? { action: 'failover', waitMs: 0, plan: 'context-fallback' } : STOP;
    case 'rate-limited': {
      const cooldown = {
        reason: 'rate_limited',
        ms: failure.retryAfterMs ?? policy.rateLimitCooldownMs,
      } as const;
      if (canRetry && input.otherKeyUsable) return { action: 'retry', waitMs: 0, cooldown, plan: 'keep' };
      const wait = failure.retryAfterMs;
      if (canRetry && wait !== undefined && wait <= policy.maxRetryAfterMs && wait < budgetMs) {
        return { action: 'retry', waitMs: wait, cooldown, plan: 'keep' };
      }
      return { action: 'failover', waitMs: 0, cooldown, plan: 'defer' };
    }
    case 'failover': {
      if (failure.keyFault !== 'auth') return DROP;
      const cooldown = { reason: 'auth', ms: policy.authCooldownMs } as const;
      if (canRetry && input.otherKeyUsable) return { action: 'retry', waitMs: 0, cooldown, plan: 'keep' };
      return { action: 'failover', waitMs: 0, cooldown, plan: 'drop' };
    }
    case 'retry': {
      if (!canRetry) return DROP;
      if (input.alternative && spentItsTime(failure.outcome)) return LAST;
      const waitMs =
        failure.retryAfterMs !== undefined
          ? Math.min(failure.retryAfterMs, policy.maxRetryAfterMs)
          : backoffDelay(input.retry, policy.backoff.baseMs, policy.backoff.maxMs, random);
      return waitMs < budgetMs ? { action: 'retry', waitMs, plan: 'keep' } : DROP;
    }
  }
}
