/** One HTTP call to one deployment: send, check the status, and read the body within its clocks. */
import type { Dispatcher } from 'undici';
import { badResponse, capRetryAfter } from '../policies/classify';
import { readBounded, readHead } from '../transport/bounded';
import { AttemptFailure, failureFrom } from './failure';
import type { ProviderRuntime } from './runtime';
import type { AttemptScope } from './scope';

const MAX_ERROR_BODY = 64 * 1024;

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
      signal: attempt.signal,
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
