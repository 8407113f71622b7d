/**
 * Checks of a caller's request and options, so a bad call fails with an `InvalidRequestError` that
 * names the field, in the wording of the config's messages. The options go through a zod schema
 * like every other option; the request body is checked by hand, since a schema parse would copy
 * every message of every request.
 */
import { z } from 'zod';
import { arrayOf, checked, intBetween, nonEmptyString, numberField } from './config/fields';
import { expected } from './config/messages';
import { parseCallOptions } from './config/options';
import { hedgeSchema } from './config/schema';
import { InvalidRequestError } from './errors';
import type { CallOptions, ChatRequest, EmbeddingsRequest } from './types';

const milliseconds = () =>
  numberField('a positive number of milliseconds', (n) => Number.isFinite(n) && n > 0).optional();

/** The options of one call. Other keys pass (a bound client adds its own). */
const callOptionsSchema = z.looseObject({
  model: nonEmptyString('the name of a model group').optional(),
  fallbacks: arrayOf(z.unknown(), 'an array of model group names').optional(),
  signal: checked<AbortSignal>('an AbortSignal', (value) => value instanceof AbortSignal).optional(),
  deadlineMs: milliseconds(),
  affinityKey: checked<string>('a string', (value) => typeof value === 'string').optional(),
  retries: intBetween(0, 10).optional(),
  timeoutMs: milliseconds(),
  region: nonEmptyString('a region name').optional(),
  hedge: z
    .unknown()
    .superRefine((value, ctx) => {
      if (value === false) return;
      const parsed = hedgeSchema.safeParse(value);
      if (parsed.success) return;
      for (const issue of parsed.error.issues) {
        const message =
          issue.code === 'unrecognized_keys'
            ? `unknown option ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}; expected afterMs, percentile or maxHedges`
            : issue.message;
        ctx.addIssue({ code: 'custom', message, path: issue.path });
      }
    })
    .optional(),
});

export function validateChatRequest(request: unknown, streaming: boolean): asserts request is ChatRequest {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    throw new InvalidRequestError(expected('an object with a `messages` array', request), 'request');
  }
  const { messages, stream } = request as { messages?: unknown; stream?: unknown };
  if (!Array.isArray(messages)) throw new InvalidRequestError(expected('an array', messages), 'messages');
  if (messages.length === 0) throw new InvalidRequestError('must not be empty', 'messages');
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as { role?: unknown } | null;
    if (typeof message !== 'object' || message === null) {
      throw new InvalidRequestError(expected('an object', message), `messages[${i}]`);
    }
    if (typeof message.role !== 'string' || message.role === '') {
      throw new InvalidRequestError(expected('a non-empty string', message.role), `messages[${i}].role`);
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
    throw new InvalidRequestError(expected('an object with an `input`', request), 'request');
  }
  const { input } = request as { input?: unknown };
  const ok =
    typeof input === 'string' ||
    (Array.isArray(input) &&
      input.length > 0 &&
      (typeof input[0] === 'string' || typeof input[0] === 'number' || Array.isArray(input[0])));
  if (!ok) throw new InvalidRequestError(expected('a string or a non-empty array', input), 'input');
}

export function validateOptions(options: CallOptions): void {
  parseCallOptions(callOptionsSchema, options, 'options');
}
