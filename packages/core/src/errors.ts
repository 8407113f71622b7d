/**
 * Typed errors. Every error carries a stable `code`; `instanceof` works across duplicate copies of
 * the package (pnpm can load two) through a `Symbol.for` brand. Each also speaks the convention
 * web frameworks read off any error (`status`/`statusCode`, `expose`, `headers`), so Koa's
 * `onerror`, Express's final handler, Nest's `BaseExceptionFilter` and Fastify's default handler
 * answer it with the right status and headers without a handler of ours.
 */
import type { AttemptReport, RequestReport } from './types';

const BRAND = Symbol.for('ai-failover.error');

export type ErrorCode =
  | 'AI_CONFIG_INVALID'
  | 'AI_INVALID_REQUEST'
  | 'AI_UNKNOWN_MODEL'
  | 'AI_UPSTREAM_ERROR'
  | 'AI_ALL_ATTEMPTS_FAILED'
  | 'AI_RATE_LIMITED'
  | 'AI_DEADLINE_EXCEEDED'
  | 'AI_ABORTED'
  | 'AI_STREAM_INTERRUPTED'
  | 'AI_CLIENT_CLOSED'
  | 'AI_INTERNAL_ERROR';

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** Base class of every error this library throws. */
export class AiFailoverError extends Error {
  readonly code: ErrorCode;
  /** HTTP status to answer with (Koa and Express read `status`; Fastify and Nest `statusCode`). */
  readonly status: number;
  /** Id of the request it ended (as in its report), when it came from a call. */
  requestId: string | undefined;
  /**
   * The report of the call it ended, when it came from a call: the attempts made, and for a
   * stream that failed midway, who was serving it and the usage so far.
   */
  report: RequestReport | undefined;

  constructor(code: ErrorCode, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.status = status;
    this.name = new.target.name;
    // The names of the class chain, so `instanceof` also matches a copy of a class loaded from
    // another installation of the package.
    const chain: string[] = [];
    for (let c: { name: string } | null = new.target; c && c !== Error; c = Object.getPrototypeOf(c)) {
      chain.push(c.name);
    }
    Object.defineProperty(this, BRAND, { value: chain });
  }

  /** The same as `status`, under the name Fastify, Nest and Node's `http` use. */
  get statusCode(): number {
    return this.status;
  }

  /**
   * Whether the message may be shown to an HTTP client (the `http-errors` convention): a client
   * error's yes; a server error's no, its details are for logs.
   */
  get expose(): boolean {
    return this.status < 500;
  }

  /** Headers an HTTP answer to it should carry (`retry-after`); empty for most errors. */
  get headers(): Readonly<Record<string, string>> {
    return NO_HEADERS;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const chain = (value as { [BRAND]?: unknown })[BRAND];
    return Array.isArray(chain) ? chain.includes(this.name) : false;
  }
}

/** One problem found in a configuration. */
export interface ConfigIssue {
  /** Dotted path of the field, e.g. `providers[1].baseUrl`. */
  path: string;
  message: string;
}

/** The configuration is invalid. Thrown by `createAiClient`, never at request time. */
export class ConfigError extends AiFailoverError {
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.path ? `${i.path}: ` : ''}${i.message}`);
    super('AI_CONFIG_INVALID', `Invalid ai-failover config:\n${lines.join('\n')}`, 500);
    this.issues = issues;
  }
}

/** The caller's request is malformed (missing `messages`, a bad option...). Never retried. */
export class InvalidRequestError extends AiFailoverError {
  /** The field at fault, e.g. `messages` or `options.deadlineMs`. */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super('AI_INVALID_REQUEST', field ? `${field}: ${message}` : message, 400);
    this.field = field;
  }
}

/**
 * The request uses something a deployment's protocol cannot express (`logprobs` on Anthropic, a
 * JSON schema on a protocol without one...). Raised when the plan reaches such a deployment, before
 * any call: the request is refused rather than answered without the feature.
 */
export class UnsupportedFeatureError extends InvalidRequestError {
  /** Protocol that cannot express it. */
  readonly protocol: string;
  /** The deployment the plan had reached (`provider/model`). */
  readonly deployment: string;
  constructor(field: string, message: string, protocol: string, deployment: string) {
    super(`${message} (not supported by the ${protocol} protocol of ${deployment})`, field);
    this.protocol = protocol;
    this.deployment = deployment;
  }
}

/** The requested model group is not configured. */
export class UnknownModelError extends AiFailoverError {
  readonly model: string;
  readonly available: readonly string[];
  constructor(model: string, available: readonly string[]) {
    super(
      'AI_UNKNOWN_MODEL',
      `Unknown model "${model}". Configured model groups: ${available.join(', ') || '(none)'}`,
      404,
    );
    this.model = model;
    this.available = available;
  }
}

/**
 * An upstream provider answered with an error the caller must see (e.g. a 400 it caused). Its
 * `status` is the provider's 4xx, except 401/403/407 (the provider refused this server's
 * credentials, not the caller's), which like every other failure answer 502.
 */
export class UpstreamError extends AiFailoverError {
  /** The provider's HTTP status, if a response was received. */
  readonly upstreamStatus: number | undefined;
  /** The provider's own error message (secrets removed). */
  readonly providerMessage: string;
  /** The provider's error code / type, e.g. `context_length_exceeded`. */
  readonly providerCode: string | undefined;
  readonly retryable: boolean;
  readonly deployment: string;
  readonly attempts: readonly AttemptReport[];
  constructor(init: {
    status: number | undefined;
    providerMessage: string;
    providerCode?: string;
    retryable: boolean;
    deployment: string;
    attempts?: readonly AttemptReport[];
  }) {
    const where = init.status ? `${init.deployment} answered ${init.status}` : `${init.deployment} failed`;
    super('AI_UPSTREAM_ERROR', `${where}: ${init.providerMessage}`, upstreamHttpStatus(init.status));
    this.upstreamStatus = init.status;
    this.providerMessage = init.providerMessage;
    this.providerCode = init.providerCode;
    this.retryable = init.retryable;
    this.deployment = init.deployment;
    this.attempts = init.attempts ?? [];
  }
}

function upstreamHttpStatus(status: number | undefined): number {
  if (status === undefined || status === 401 || status === 403 || status === 407) return 502;
  if (status >= 400 && status < 500) return status;
  return 502;
}

/** Every candidate deployment was tried (or skipped) and none answered. */
export class AllAttemptsFailedError extends AiFailoverError {
  readonly model: string;
  readonly attempts: readonly AttemptReport[];
  /**
   * When the first deployment set aside (cooling down, breaker open) is due back, in ms from when
   * the error was thrown; what an HTTP answer's `Retry-After` says. Undefined when none is.
   */
  readonly retryAfterMs: number | undefined;
  constructor(model: string, attempts: readonly AttemptReport[], detail?: string, retryAfterMs?: number) {
    const summary = attempts.length
      ? attempts.map((a) => `${a.deployment}: ${a.outcome}${a.status ? ` ${a.status}` : ''}`).join('; ')
      : detail || 'no deployment was usable';
    super('AI_ALL_ATTEMPTS_FAILED', `All attempts for "${model}" failed (${summary})`, 503);
    this.model = model;
    this.attempts = attempts;
    this.retryAfterMs = retryAfterMs;
  }

  /**
   * `retry-after` (seconds): when the first deployment set aside is due back, else, when every
   * attempt was rate limited, the shortest wait asked for.
   */
  override get headers(): Readonly<Record<string, string>> {
    const seconds =
      this.retryAfterMs !== undefined
        ? Math.max(1, Math.ceil(this.retryAfterMs / 1000))
        : retryAfterSeconds(this.attempts);
    return seconds === undefined ? super.headers : { 'retry-after': String(seconds) };
  }
}

/** Shortest wait any deployment asked for, rounded up to seconds, when every attempt was rate limited. */
function retryAfterSeconds(attempts: readonly AttemptReport[]): number | undefined {
  let shortest: number | undefined;
  for (const attempt of attempts) {
    if (attempt.outcome !== 'rate_limited') return undefined;
    if (attempt.retryAfterMs !== undefined) shortest = Math.min(shortest ?? Infinity, attempt.retryAfterMs);
  }
  return shortest === undefined ? undefined : Math.max(1, Math.ceil(shortest / 1000));
}

/**
 * Every candidate was out of its client-side rate-limit budget (configured, or learned from the
 * provider's headers) and none had room again within `policy.maxWaitMs` and the deadline. No
 * request was sent for the deployments that were out. Answered with 429 and `Retry-After`.
 */
export class RateLimitedError extends AiFailoverError {
  readonly model: string;
  /** When the first candidate has budget again, in ms from when the error was made. */
  readonly retryAfterMs: number;
  readonly attempts: readonly AttemptReport[];
  constructor(model: string, retryAfterMs: number, attempts: readonly AttemptReport[]) {
    super(
      'AI_RATE_LIMITED',
      `Every deployment for "${model}" is out of its rate-limit budget; the first has room again in ${retryAfterMs}ms`,
      429,
    );
    this.model = model;
    this.retryAfterMs = retryAfterMs;
    this.attempts = attempts;
  }

  /** `retry-after` (seconds, at least 1): when the first candidate has budget again. */
  override get headers(): Readonly<Record<string, string>> {
    return { 'retry-after': String(Math.max(1, Math.ceil(this.retryAfterMs / 1000))) };
  }
}

/** The request's deadline passed before any deployment answered. */
export class DeadlineExceededError extends AiFailoverError {
  readonly deadlineMs: number;
  readonly elapsedMs: number;
  readonly attempts: readonly AttemptReport[];
  constructor(deadlineMs: number, elapsedMs: number, attempts: readonly AttemptReport[]) {
    const spent = attempts.length
      ? attempts.map((a) => `${a.deployment} ${a.outcome} ${a.latencyMs}ms`).join(', ')
      : 'no attempt started';
    super(
      'AI_DEADLINE_EXCEEDED',
      `Deadline of ${deadlineMs}ms exceeded after ${elapsedMs}ms (${spent})`,
      504,
    );
    this.deadlineMs = deadlineMs;
    this.elapsedMs = elapsedMs;
    this.attempts = attempts;
  }
}

/** The caller aborted the request (its AbortSignal fired, or its HTTP client hung up). */
export class AbortError extends AiFailoverError {
  readonly attempts: readonly AttemptReport[];
  constructor(attempts: readonly AttemptReport[] = [], reason?: unknown) {
    super('AI_ABORTED', 'The request was aborted by the caller', 499, { cause: reason });
    this.attempts = attempts;
  }
}

/**
 * A stream failed after content had already reached the caller. The text received so far is
 * incomplete; it is never silently completed or replayed from another deployment.
 */
export class StreamInterruptedError extends AiFailoverError {
  readonly deployment: string;
  readonly chunksDelivered: number;
  constructor(deployment: string, chunksDelivered: number, reason: string, cause?: unknown) {
    super(
      'AI_STREAM_INTERRUPTED',
      `Stream from ${deployment} was interrupted after ${chunksDelivered} chunk(s): ${reason}`,
      502,
      { cause },
    );
    this.deployment = deployment;
    this.chunksDelivered = chunksDelivered;
  }
}

/** The client was closed; no new request is accepted. */
export class ClientClosedError extends AiFailoverError {
  constructor() {
    super('AI_CLIENT_CLOSED', 'The ai-failover client is closed', 503);
  }
}

/** A fault of this library, not of the caller or a provider. */
export class InternalError extends AiFailoverError {
  constructor(message: string, cause?: unknown) {
    super('AI_INTERNAL_ERROR', `Internal error: ${message}`, 500, { cause });
  }
}
