import type {
  BadRequestFault,
  ContextLengthFault,
  FaultCommon,
  FloodFault,
  FloodShape,
  HangFault,
  MalformedJsonFault,
  OkFault,
  RateLimitedFault,
  ReplyShape,
  ResetFault,
  ResetMidStreamFault,
  StallFault,
  StatusFault,
  StreamErrorFault,
  TruncatedFault,
  UnauthorizedFault,
} from './fault-types';

type Options<F> = Omit<F, 'type'>;

/** Builders for every {@link Fault}. */
export const fault = {
  /** A normal answer. */
  ok(opts: Options<OkFault> = {}): OkFault {
    return { type: 'ok', ...opts };
  },
  /** An error status with a body shaped like the OpenAI API's (`{ error: { message, type, param, code } }`). */
  status(status: number, opts: Omit<Options<StatusFault>, 'status'> = {}): StatusFault {
    return { type: 'status', status, ...opts };
  },
  /** A 429 with `Retry-After` and/or `retry-after-ms`; `Retry-After: 1` when neither is given. */
  rateLimited(opts: Options<RateLimitedFault> = {}): RateLimitedFault {
    const retry =
      opts.retryAfterSeconds === undefined && opts.retryAfterMs === undefined ? { retryAfterSeconds: 1 } : {};
    return { type: 'rateLimited', ...retry, ...opts };
  },
  /** A 400 `context_length_exceeded`. */
  contextLength(opts: Options<ContextLengthFault> = {}): ContextLengthFault {
    return { type: 'contextLength', ...opts };
  },
  /** A 400 `invalid_request_error`. */
  badRequest(message?: string, opts: Omit<Options<BadRequestFault>, 'message'> = {}): BadRequestFault {
    return message === undefined ? { type: 'badRequest', ...opts } : { type: 'badRequest', message, ...opts };
  },
  /** A 401 `invalid_api_key`. */
  unauthorized(opts: Options<UnauthorizedFault> = {}): UnauthorizedFault {
    return { type: 'unauthorized', ...opts };
  },
  /** Never answers, until the client aborts or the mock closes. */
  hang(opts: FaultCommon = {}): HangFault {
    return { type: 'hang', ...opts };
  },
  /** Resets the connection without any response. */
  reset(opts: FaultCommon = {}): ResetFault {
    return { type: 'reset', ...opts };
  },
  /**
   * Sends the headers and `afterChunks` stream events, then destroys the socket.
   * For a non-stream reply, `afterChunks >= 1` sends the first half of the body.
   */
  resetMidStream(afterChunks: number, opts: FaultCommon & ReplyShape = {}): ResetMidStreamFault {
    return { type: 'resetMidStream', afterChunks, ...opts };
  },
  /**
   * Sends the headers and `afterChunks` stream events, then pauses `ms` (forever when omitted).
   * `afterChunks: 0` stalls right after the headers. For a non-stream reply, `afterChunks >= 1`
   * sends the first half of the body before the pause.
   */
  stall(opts: Options<StallFault>): StallFault {
    return { type: 'stall', ...opts };
  },
  /** A 200 `application/json` body that is not JSON; for a stream, one `data:` event that is not JSON. */
  malformedJson(opts: FaultCommon = {}): MalformedJsonFault {
    return { type: 'malformedJson', ...opts };
  },
  /** A 200 whose `content-length` exceeds the half of the body sent before the connection ends. */
  truncated(opts: FaultCommon & ReplyShape = {}): TruncatedFault {
    return { type: 'truncated', ...opts };
  },
  /**
   * A stream that sends `afterChunks` events of the healthy reply, then `{ error: { message, type,
   * code } }` as a `data:` event, and ends without `[DONE]`.
   */
  streamError(
    afterChunks: number,
    opts: Omit<Options<StreamErrorFault>, 'afterChunks'> = {},
  ): StreamErrorFault {
    return { type: 'streamError', afterChunks, ...opts };
  },
  /**
   * A 200 that keeps sending (`bytes` in all, default without end): an unending `data:` line
   * (`line`), `data:` lines without the blank line that ends their event (`event`), chunks without
   * content (`emptyEvents`), or a JSON body that never closes (`json`).
   */
  flood(shape: FloodShape, opts: Omit<Options<FloodFault>, 'shape'> = {}): FloodFault {
    return { type: 'flood', shape, ...opts };
  },
} as const;
