import type { Fault, FaultType } from './fault-types';
import type { Latency } from './latency';

/** One request received by a {@link MockProvider}, updated as its response progresses. */
export interface RecordedRequest {
  /** 1-based, in order of arrival. */
  id: number;
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Request headers, names lowercased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The parsed JSON body, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  /** The key sent: `Authorization: Bearer <key>`, `x-api-key` (Anthropic), `x-goog-api-key` (Gemini). */
  apiKey?: string;
  /** `model` of the body, when it is a string (Gemini: the model of the path). */
  model?: string;
  /** `true` when the body has `stream: true` (Gemini: a `streamGenerateContent` call). */
  stream: boolean;
  /** `Date.now()` when the request headers arrived. */
  receivedAt: number;
  /** `Date.now()` when the response finished or the connection closed. */
  endedAt?: number;
  /** Status code sent, when headers were sent. */
  status?: number;
  /** `type` of the fault applied (`'none'` when the client left before the body was read). */
  fault: FaultType | 'none';
  /** `true` when the client closed the connection before the server finished the response. */
  aborted: boolean;
}

/** Options of {@link MockProvider.start}. */
export interface MockProviderOptions {
  /** Name used in the default reply and the `x-mock-provider` header (default `'mock'`). */
  name?: string;
  /** Interface to bind (default `'127.0.0.1'`). */
  host?: string;
  /** Port to bind (default `0`: an ephemeral port). */
  port?: number;
  /** Models listed by `GET /v1/models` (default `['mock-model']`). */
  models?: string[];
  /** When set, requests without one of these keys get the API's invalid-key error. */
  apiKeys?: string[];
  /** Default reply text (default `Hello from ${name}`). */
  content?: string;
  /** Delay between stream chunks (default 0). */
  chunkDelayMs?: number;
  /** Length of embedding vectors when the request has no `dimensions` (default 8). */
  embeddingDimensions?: number;
  /** Delay before every response starts, unless the fault sets its own `latencyMs`. */
  latencyMs?: Latency;
  /** Requests kept in `requests`, oldest dropped first (default 10 000), so a long-running mock stays small. */
  maxRecords?: number;
  /** Serve HTTPS with this key and certificate (PEM); `baseUrl` is then `https://...`. */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** One phase of a {@link MockProvider.schedule}. */
export interface SchedulePhase {
  fault: Fault;
  /** The phase ends after this many requests. */
  requests?: number;
  /** The phase ends this many ms after it began. */
  forMs?: number;
}

/** Options of {@link MockProvider.rateLimit}. */
export interface RateLimitOptions {
  /** Requests admitted per window; the next ones get a 429. */
  limit: number;
  /** Length of the sliding window. */
  windowMs: number;
  /** Fixed `Retry-After` value; when omitted, the time until a slot frees up is sent in `Retry-After` and `retry-after-ms`. */
  retryAfterSeconds?: number;
  /**
   * Send the window's state on every answer, as OpenAI does: `x-ratelimit-limit-requests`,
   * `x-ratelimit-remaining-requests` and `x-ratelimit-reset-requests` (the time until the window is
   * empty again, e.g. `850ms`).
   */
  headers?: boolean;
}

/** A custom per-request decision; `undefined` falls through to the other rules. */
export type FaultHandler = (request: RecordedRequest) => Fault | undefined;
