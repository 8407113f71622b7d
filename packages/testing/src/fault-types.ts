import type { Latency } from './latency';

/** Token counts reported in a completion's `usage`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /**
   * Prompt tokens read from the provider's prompt cache (default 0): OpenAI's
   * `prompt_tokens_details.cached_tokens`, Anthropic's `cache_read_input_tokens`, Gemini's
   * `cachedContentTokenCount`.
   */
  cached_tokens?: number;
}

/** A tool call the mock answers with. */
export interface MockToolCall {
  /** Default: `call_mock_<n>` (OpenAI), `toolu_mock_<n>` (Anthropic); Gemini sends none. */
  id?: string;
  name: string;
  /** The arguments: a JSON string, or an object serialized as JSON. */
  arguments: string | Record<string, unknown>;
}

/** Options every fault accepts. */
export interface FaultCommon {
  /** Delay before the response starts; overrides the provider's `latencyMs` for this request. */
  latencyMs?: Latency;
}

/** Shape of the healthy answer a fault starts from. */
export interface ReplyShape {
  /** Reply text of a chat completion; defaults to the provider's `content`, or none with `toolCalls`. */
  content?: string;
  /** Answer with these tool calls (finish reason `tool_calls` / `tool_use`). */
  toolCalls?: MockToolCall[];
  /** Thinking before the answer: `reasoning_content`, Anthropic `thinking`, Gemini thought parts. */
  reasoning?: string;
  /** Delay between stream chunks; defaults to the provider's `chunkDelayMs`. */
  chunkDelayMs?: number;
}

/** A normal, successful answer. */
export interface OkFault extends FaultCommon, ReplyShape {
  type: 'ok';
  /** Extra delay before the response headers are sent (after `latencyMs`). */
  ttfbMs?: number;
  /** Overrides the reported token counts; missing fields are computed as usual. */
  usage?: Partial<Usage>;
}

/** An HTTP error with an OpenAI-shaped body. */
export interface StatusFault extends FaultCommon {
  type: 'status';
  status: number;
  /** Replaces the error message of the default body. */
  message?: string;
  /** Replaces the whole body: a string is sent as is, anything else as JSON. */
  body?: unknown;
  /** Extra response headers. */
  headers?: Record<string, string>;
}

/** A 429 `rate_limit_exceeded` error. */
export interface RateLimitedFault extends FaultCommon {
  type: 'rateLimited';
  /** Value of the `Retry-After` header, in seconds. */
  retryAfterSeconds?: number;
  /** Value of the `retry-after-ms` header. */
  retryAfterMs?: number;
  message?: string;
}

/** A 400 `context_length_exceeded` error. */
export interface ContextLengthFault extends FaultCommon {
  type: 'contextLength';
  /** The model's context window quoted in the message (default 8192). */
  maxTokens?: number;
  message?: string;
}

/** A 400 `invalid_request_error`. */
export interface BadRequestFault extends FaultCommon {
  type: 'badRequest';
  message?: string;
  param?: string | null;
  code?: string | null;
}

/** A 401 `invalid_api_key` error. */
export interface UnauthorizedFault extends FaultCommon {
  type: 'unauthorized';
  message?: string;
}

/** Accepts the request and never answers. */
export interface HangFault extends FaultCommon {
  type: 'hang';
}

/** Resets the connection (TCP RST) without any response. */
export interface ResetFault extends FaultCommon {
  type: 'reset';
}

/** Sends the headers and `afterChunks` chunks, then destroys the socket. */
export interface ResetMidStreamFault extends FaultCommon, ReplyShape {
  type: 'resetMidStream';
  afterChunks: number;
}

/** Sends the headers and `afterChunks` chunks, then pauses `ms` (forever if omitted) before continuing. */
export interface StallFault extends FaultCommon, ReplyShape {
  type: 'stall';
  afterChunks: number;
  ms?: number;
}

/** A 200 whose body (or one stream event) is not valid JSON. */
export interface MalformedJsonFault extends FaultCommon {
  type: 'malformedJson';
}

/** A 200 whose `content-length` is larger than the body sent before the connection ends. */
export interface TruncatedFault extends FaultCommon, ReplyShape {
  type: 'truncated';
}

/**
 * A 200 stream that sends `afterChunks` events of the healthy reply, then an error object as a
 * `data:` event (`{ error: { message, type, code } }`), and ends without `[DONE]`.
 */
export interface StreamErrorFault extends FaultCommon, ReplyShape {
  type: 'streamError';
  afterChunks: number;
  message?: string;
  code?: string | null;
}

/** The shapes of a {@link FloodFault}. */
export type FloodShape = 'line' | 'event' | 'emptyEvents' | 'json';

/**
 * A 200 that never stops sending, until `bytes` are sent or the client leaves:
 * - `line`: a stream whose one `data:` line never ends;
 * - `event`: a stream of `data:` lines never ended by the blank line that closes an event;
 * - `emptyEvents`: a stream of complete chunks that carry no content (never a token);
 * - `json`: an `application/json` body that never closes.
 * Writes wait for the client to read (the mock itself stays small).
 */
export interface FloodFault extends FaultCommon {
  type: 'flood';
  shape: FloodShape;
  /** Bytes of body sent before the response ends (default: no end). */
  bytes?: number;
}

/** What the mock does with one request; build values with the `fault` helpers. */
export type Fault =
  | OkFault
  | StatusFault
  | RateLimitedFault
  | ContextLengthFault
  | BadRequestFault
  | UnauthorizedFault
  | HangFault
  | ResetFault
  | ResetMidStreamFault
  | StallFault
  | MalformedJsonFault
  | TruncatedFault
  | StreamErrorFault
  | FloodFault;

/** The `type` tag of a {@link Fault}. */
export type FaultType = Fault['type'];
