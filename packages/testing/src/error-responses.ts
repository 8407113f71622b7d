import type { Fault } from './fault-types';
import { contextLengthMessage, invalidKeyMessage, openAiError } from './openai-errors';
import { isJsonObject } from './routes';
import { JSON_HEADERS } from './sse';
import { countPromptTokens } from './tokens';
import type { RecordedRequest } from './types';

/** A complete error response. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const DEFAULT_CONTEXT_WINDOW = 8192;

function response(status: number, body: unknown, headers: Record<string, string> = {}): ErrorResponse {
  return {
    status,
    headers: { ...JSON_HEADERS, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function retryHeaders(seconds: number | undefined, ms: number | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  if (seconds !== undefined) headers['retry-after'] = String(seconds);
  if (ms !== undefined) headers['retry-after-ms'] = String(Math.round(ms));
  return headers;
}

function retryHint(seconds: number | undefined, ms: number | undefined): string {
  if (ms !== undefined) return ` Please try again in ${Math.round(ms)}ms.`;
  if (seconds !== undefined) return ` Please try again in ${seconds}s.`;
  return '';
}

/** The response of a fault that answers with an HTTP error, or `undefined` for other faults. */
export function errorResponse(fault: Fault, request: RecordedRequest): ErrorResponse | undefined {
  switch (fault.type) {
    case 'status':
      return response(
        fault.status,
        fault.body === undefined ? openAiError(fault.status, { message: fault.message }) : fault.body,
        fault.headers,
      );
    case 'rateLimited': {
      const { retryAfterSeconds: seconds, retryAfterMs: ms } = fault;
      const message = fault.message ?? `Rate limit reached for requests.${retryHint(seconds, ms)}`;
      return response(429, openAiError(429, { message }), retryHeaders(seconds, ms));
    }
    case 'contextLength': {
      const messages = isJsonObject(request.body) ? request.body.messages : undefined;
      const message =
        fault.message ??
        contextLengthMessage(fault.maxTokens ?? DEFAULT_CONTEXT_WINDOW, countPromptTokens(messages));
      return response(
        400,
        openAiError(400, {
          message,
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        }),
      );
    }
    case 'badRequest':
      return response(
        400,
        openAiError(400, { message: fault.message, param: fault.param, code: fault.code }),
      );
    case 'unauthorized':
      return response(401, openAiError(401, { message: fault.message ?? invalidKeyMessage(request.apiKey) }));
    default:
      return undefined;
  }
}
