import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The Node.js message behind what Nest hands a handler or a middleware: the object itself on
 * Express (its request and response are Node's), its `raw` on Fastify. `marker` is a property only
 * the expected kind of message has (`socket` for a request, `writableFinished` for a response).
 */
export function nodeMessage<T extends IncomingMessage | ServerResponse>(
  value: unknown,
  marker: string,
): T | undefined {
  const candidate =
    value && typeof value === 'object' && 'raw' in value ? (value as { raw: unknown }).raw : value;
  if (
    candidate &&
    typeof candidate === 'object' &&
    marker in candidate &&
    typeof (candidate as { once?: unknown }).once === 'function'
  ) {
    return candidate as T;
  }
  return undefined;
}

/** The Node.js request behind `value`, if any. */
export function nodeRequest(value: unknown): IncomingMessage | undefined {
  return nodeMessage<IncomingMessage>(value, 'socket');
}

/** The Node.js response behind `value`, if any. */
export function nodeResponse(value: unknown): ServerResponse | undefined {
  return nodeMessage<ServerResponse>(value, 'writableFinished');
}
