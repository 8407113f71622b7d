/**
 * What counts as a failure, apart from what to do about it: one place turns an upstream answer or a
 * transport error into an outcome and a verdict that every policy (retry, failover, breaker, key
 * cooldown, health) reads.
 */
import type { AttemptOutcome } from '../types';
import { parseRetryAfter } from './retry-after';

/**
 * - `retry`: transient; try the same deployment again if retries remain, else fail over.
 * - `rate-limited`: wait a short Retry-After on the same deployment, fail over when it is long.
 * - `failover`: that deployment (or its provider) is at fault; move on without retrying it.
 * - `context`: the prompt is too long for this model; a context-fallback group may take it.
 * - `fatal`: the caller's fault; every deployment would refuse it alike. Stop.
 */
export type Verdict = 'retry' | 'rate-limited' | 'failover' | 'context' | 'fatal';

export interface Classification {
  readonly outcome: AttemptOutcome;
  readonly verdict: Verdict;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly message: string;
  readonly providerCode?: string;
  /** A key-level problem: that key cools down, the provider's other keys keep serving. */
  readonly keyFault?: 'auth' | 'rate';
}

export interface ProviderErrorBody {
  message?: string;
  code?: string;
  type?: string;
}

const CONTEXT_PATTERN =
  /context[_ ]length|maximum context|context window|too many tokens|prompt is too long/i;

/** Longest wait an upstream may ask for unless a provider's `limits.retryAfterMs` says otherwise: an hour. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Classifies an HTTP answer that is not a 2xx. A wait the provider asks for is cut to
 * `retryAfterCapMs` (an invalid one is ignored).
 */
export function classifyStatus(
  status: number,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: ProviderErrorBody | undefined,
  retryAfterCapMs: number = MAX_RETRY_AFTER_MS,
): Classification {
  const message = body?.message || `HTTP ${status}`;
  const providerCode = body?.code || body?.type || undefined;
  const base = { status, message, providerCode };
  if (status < 200 || (status >= 300 && status < 400)) {
    // Redirects are never followed (the key would go with them): the deployment is misconfigured.
    return {
      status,
      message: `unexpected HTTP ${status} answer (redirects are not followed)`,
      outcome: 'bad_response',
      verdict: 'failover',
    };
  }
  if (status === 429) {
    return {
      ...base,
      outcome: 'rate_limited',
      verdict: 'rate-limited',
      retryAfterMs: parseRetryAfter(headers, retryAfterCapMs),
      keyFault: 'rate',
    };
  }
  if (status === 401 || status === 403) {
    return { ...base, outcome: 'auth_error', verdict: 'failover', keyFault: 'auth' };
  }
  if (status === 404) {
    return { ...base, outcome: 'not_found', verdict: 'failover' };
  }
  if (status === 408 || status === 409 || status === 425) {
    return { ...base, outcome: 'server_error', verdict: 'retry' };
  }
  if (status >= 500) {
    const retryAfterMs = parseRetryAfter(headers, retryAfterCapMs);
    return {
      ...base,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      outcome: 'server_error',
      verdict: 'retry',
    };
  }
  if (isContextLength(body)) {
    return { ...base, outcome: 'context_length', verdict: 'context' };
  }
  return { ...base, outcome: 'client_error', verdict: 'fatal' };
}

function isContextLength(body: ProviderErrorBody | undefined): boolean {
  if (!body) return false;
  if (body.code === 'context_length_exceeded' || body.code === 'string_above_max_length') return true;
  return body.message !== undefined && CONTEXT_PATTERN.test(body.message);
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Classifies a transport error (no usable HTTP answer). */
export function classifyError(error: unknown): Classification {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return { outcome: 'timeout', verdict: 'retry', message };
  }
  if (code !== undefined && CONNECTION_CODES.has(code)) {
    return {
      outcome: 'connection_error',
      verdict: 'retry',
      message: `${code}: ${message}`,
    };
  }
  if (error instanceof Error && error.name === 'ResponseLimitError') {
    // Over a size limit: the same deployment would likely send it again.
    return { outcome: 'bad_response', verdict: 'failover', message };
  }
  if (error instanceof Error && error.name === 'StreamPayloadError') {
    const providerCode = (error as { providerCode?: string }).providerCode;
    return { outcome: 'server_error', verdict: 'retry', message, providerCode };
  }
  if (error instanceof SyntaxError) {
    return { outcome: 'bad_response', verdict: 'retry', message };
  }
  return { outcome: 'connection_error', verdict: 'retry', message };
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An attempt-level timeout of ours (per-attempt, time to first token, or a stall between chunks). */
export function timeoutClassification(
  outcome: 'timeout' | 'first_token_timeout' | 'stream_stalled',
  afterMs: number,
): Classification {
  const what =
    outcome === 'timeout'
      ? 'no answer'
      : outcome === 'first_token_timeout'
        ? 'no first token'
        : 'stream stalled';
  return { outcome, verdict: 'retry', message: `${what} within ${afterMs}ms` };
}

/** A 2xx whose body could not be used. */
export function badResponse(message: string, status: number): Classification {
  return { outcome: 'bad_response', verdict: 'retry', status, message };
}

/** The classification with its `retryAfterMs` cut to `capMs` (a provider's `limits.retryAfterMs`). */
export function capRetryAfter(classification: Classification, capMs: number): Classification {
  const wait = classification.retryAfterMs;
  return wait !== undefined && wait > capMs ? { ...classification, retryAfterMs: capMs } : classification;
}
