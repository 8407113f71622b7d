/** Cheap checks of a caller's request and options, so a bad call fails with an error that names the field. */
import { InvalidRequestError } from './errors';
import type { CallOptions, ChatRequest, EmbeddingsRequest } from './types';

export function validateChatRequest(request: unknown, streaming: boolean): asserts request is ChatRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new InvalidRequestError('must be an object with a `messages` array', 'request');
  }
  const { messages, stream } = request as { messages?: unknown; stream?: unknown };
  if (!Array.isArray(messages)) throw new InvalidRequestError('is required and must be an array', 'messages');
  if (messages.length === 0) throw new InvalidRequestError('must not be empty', 'messages');
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown } | null;
    if (typeof message !== 'object' || message === null) {
      throw new InvalidRequestError('must be an object', `messages[${i}]`);
    }
    if (typeof message.role !== 'string' || message.role === '') {
      throw new InvalidRequestError('must be a non-empty string', `messages[${i}].role`);
    }
  }
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new InvalidRequestError('must be a boolean', 'stream');
  }
  if (!streaming && stream === true) {
    throw new InvalidRequestError('use chatStream() for a streaming request', 'stream');
  }
}

export function validateEmbeddingsRequest(request: unknown): asserts request is EmbeddingsRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new InvalidRequestError('must be an object with an `input`', 'request');
  }
  const { input } = request as { input?: unknown };
  const ok =
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (typeof input[0] === 'string' || typeof input[0] === 'number' || Array.isArray(input[0])));
  if (!ok) throw new InvalidRequestError('is required: a string or a non-empty array', 'input');
}

export function validateOptions(options: CallOptions): void {
  const { deadlineMs, timeoutMs, retries, model, affinityKey, fallbacks, signal } = options;
  if (deadlineMs !== undefined && !(Number.isFinite(deadlineMs) && deadlineMs > 0)) {
    throw new InvalidRequestError(
      `must be a positive number of milliseconds, got ${deadlineMs}`,
      'options.deadlineMs',
    );
  }
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new InvalidRequestError(
      `must be a positive number of milliseconds, got ${timeoutMs}`,
      'options.timeoutMs',
    );
  }
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 10)) {
    throw new InvalidRequestError(`must be an integer from 0 to 10, got ${retries}`, 'options.retries');
  }
  if (model !== undefined && (typeof model !== 'string' || model === '')) {
    throw new InvalidRequestError('must be a non-empty string', 'options.model');
  }
  if (affinityKey !== undefined && typeof affinityKey !== 'string') {
    throw new InvalidRequestError('must be a string', 'options.affinityKey');
  }
  if (fallbacks !== undefined && !Array.isArray(fallbacks)) {
    throw new InvalidRequestError('must be an array of model group names', 'options.fallbacks');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidRequestError('must be an AbortSignal', 'options.signal');
  }
}
