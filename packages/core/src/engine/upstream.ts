/** One HTTP call to one deployment: send, check the status, and read the body within its clocks. */
import type { Dispatcher } from 'undici';
import { badResponse, capRetryAfter } from '../policies/classify';
import { ResponseLimitError, readBounded, readHead } from '../transport/bounded';
import { hasRateLimitHeaders, rawHeader } from '../transport/raw-headers';
import { AttemptFailure, failureFrom } from './failure';
import type { ProviderRuntime } from './runtime';
import type { AttemptScope } from './scope';

const MAX_ERROR_BODY = 64 * 1024;

/** A 2xx answer read whole. */
export interface WholeAnswer {
  readonly statusCode: number;
  /** The body as text (a leading byte-order mark removed). */
  readonly text: string;
}

/**
 * One call read whole, through the dispatcher's `dispatch` with a handler that collects the body's
 * chunks: no Readable stream and no promise per chunk, as a JSON answer needs none. A 2xx body
 * larger than `limit` (the provider's `limits.responseBytes`; declared or sent) fails the attempt
 * at once with a `ResponseLimitError`, without reading the rest; any other status becomes an
 * AttemptFailure classified from at most 64 KiB of its body, its Retry-After capped.
 */
export function requestWhole(
  provider: ProviderRuntime,
  keyIndex: number,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  attempt: AttemptScope,
  limit = provider.config.limits.responseBytes,
): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    provider.dispatcher.dispatch(
      { origin: provider.config.origin, method, path, headers: provider.headers[keyIndex], body },
      new CollectBody(provider, attempt, limit, resolve, reject),
    );
  });
}

/**
 * The dispatch handler of {@link requestWhole}: settles once, and stops reading past its limit. It
 * speaks the handler interface every undici dispatcher takes (an app's own may be of another
 * version), which is also the one undici's client calls without an adapter in between.
 */
class CollectBody implements Dispatcher.DispatchHandler {
  readonly #provider: ProviderRuntime;
  readonly #attempt: AttemptScope;
  readonly #limit: number;
  readonly #resolve: (answer: WholeAnswer) => void;
  readonly #reject: (error: AttemptFailure) => void;
  #abort: ((reason?: Error) => void) | undefined;
  #status = 0;
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;

  constructor(
    provider: ProviderRuntime,
    attempt: AttemptScope,
    limit: number,
    resolve: (answer: WholeAnswer) => void,
    reject: (error: AttemptFailure) => void,
  ) {
    this.#provider = provider;
    this.#attempt = attempt;
    this.#limit = limit;
    this.#resolve = resolve;
    this.#reject = reject;
  }

  get #ok(): boolean {
    return this.#status >= 200 && this.#status < 300;
  }

  onConnect(abort: (reason?: Error) => void): void {
    this.#abort = abort;
    const signal = this.#attempt.signal;
    if (signal.aborted) abort(signal.reason as Error);
    else signal.addEventListener('abort', this.#onAbort);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[] | string[] | null): boolean {
    this.#status = statusCode;
    // A 2xx answer's headers are read only for its rate-limit headers: without any, none are kept.
    const ok = statusCode >= 200 && statusCode < 300;
    this.#attempt.setRawHeaders(ok && !hasRateLimitHeaders(rawHeaders) ? null : rawHeaders);
    if (this.#ok && Number(rawHeader(rawHeaders, 'content-length')) > this.#limit) this.#tooLarge();
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#settled) return true;
    this.#size += chunk.length;
    this.#chunks.push(chunk);
    if (this.#ok) {
      if (this.#size > this.#limit) this.#tooLarge();
    } else if (this.#size >= MAX_ERROR_BODY) {
      // The head of an error body is enough to classify it; the rest is not read.
      this.#failStatus();
      this.#abort?.(new Error('error body read'));
    }
    return true;
  }

  onComplete(): void {
    if (this.#settled) return;
    if (!this.#ok) {
      this.#failStatus();
      return;
    }
    this.#settle();
    const buffer = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#size);
    this.#chunks = [];
    const text = buffer.toString('utf8');
    this.#resolve({
      statusCode: this.#status,
      text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text,
    });
  }

  onError(error: Error): void {
    if (this.#settled) return;
    this.#settle();
    this.#chunks = [];
    this.#reject(failureFrom(error, this.#attempt));
  }

  readonly #onAbort = (): void => {
    this.#abort?.(this.#attempt.signal.reason as Error);
  };

  #settle(): void {
    this.#settled = true;
    this.#attempt.signal.removeEventListener('abort', this.#onAbort);
  }

  #failStatus(): void {
    this.#settle();
    const text = Buffer.concat(this.#chunks, this.#size).subarray(0, MAX_ERROR_BODY).toString('utf8');
    this.#chunks = [];
    const headers = this.#attempt.responseHeaders ?? {};
    const classification = this.#provider.protocol.classify(this.#status, headers, text);
    this.#reject(
      new AttemptFailure(capRetryAfter(classification, this.#provider.config.limits.retryAfterMs)),
    );
  }

  #tooLarge(): void {
    this.#settle();
    this.#chunks = [];
    const error = new ResponseLimitError('responseBytes', this.#limit);
    this.#reject(failureFrom(error, this.#attempt));
    this.#abort?.(error);
  }
}

/** Sends a request and resolves with a 2xx response; any other status becomes an AttemptFailure. */
export async function send(
  provider: ProviderRuntime,
  keyIndex: number,
  method: 'GET' | 'POST',
  path: string,
  body: string | undefined,
  attempt: AttemptScope,
): Promise<Dispatcher.ResponseData> {
  let response: Dispatcher.ResponseData;
  try {
    response = await provider.dispatcher.request({
      origin: provider.config.origin,
      method,
      path,
      headers: provider.headers[keyIndex],
      body,
      // A LightSignal: undici takes any object with `aborted`, `reason` and abort listeners.
      signal: attempt.signal as unknown as AbortSignal,
    });
  } catch (error) {
    throw failureFrom(error, attempt);
  }
  attempt.responseHeaders = response.headers;
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  let text = '';
  try {
    text = await readHead(response.body, MAX_ERROR_BODY);
  } catch {
    // The status alone is enough to classify.
  }
  const classification = provider.protocol.classify(response.statusCode, response.headers, text);
  throw new AttemptFailure(capRetryAfter(classification, provider.config.limits.retryAfterMs));
}

/**
 * Reads and parses a JSON body of at most the provider's `limits.responseBytes`; a body that is
 * larger, cut short or not JSON is a failed attempt.
 */
export async function readJson(
  provider: ProviderRuntime,
  response: Dispatcher.ResponseData,
  attempt: AttemptScope,
): Promise<unknown> {
  let text: string;
  try {
    text = await readBounded(response.body, response.headers, provider.config.limits.responseBytes);
  } catch (error) {
    throw failureFrom(error, attempt);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new AttemptFailure(badResponse('response body is not valid JSON', response.statusCode));
  }
}
