import { type Dialect, dialectError } from './dialects';
import type { Fault } from './fault-types';
import { contextLengthMessage, invalidKeyMessage } from './openai-errors';
import { dialectOf, isJsonObject } from './routes';
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

function retryHeaders(
  dialect: Dialect,
  seconds: number | undefined,
  ms: number | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (dialect === 'gemini') return headers; // Gemini says it in the body (RetryInfo)
  if (dialect === 'anthropic') {
    const wait = ms ?? (seconds ?? 0) * 1000;
    if (seconds !== undefined || ms !== undefined) headers['retry-after'] = String(Math.ceil(wait / 1000));
    headers['anthropic-ratelimit-requests-remaining'] = '0';
    headers['anthropic-ratelimit-requests-reset'] = new Date(Date.now() + wait).toISOString();
    return headers;
  }
  if (seconds !== undefined) headers['retry-after'] = String(seconds);
  if (ms !== undefined) headers['retry-after-ms'] = String(Math.round(ms));
  return headers;
}

function retryHint(seconds: number | undefined, ms: number | undefined): string {
  if (ms !== undefined) return ` Please try again in ${Math.round(ms)}ms.`;
  if (seconds !== undefined) return ` Please try again in ${seconds}s.`;
  return '';
}

/** Gemini's `RetryInfo` detail. */
function retryInfo(seconds: number | undefined, ms: number | undefined): unknown[] | undefined {
  if (seconds === undefined && ms === undefined) return undefined;
  const delay = ms !== undefined ? ms / 1000 : (seconds ?? 0);
  return [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${delay}s` }];
}

function promptTokens(request: RecordedRequest): number {
  return countPromptTokens(isJsonObject(request.body) ? request.body.messages : undefined);
}

/** The response of a fault that answers with an HTTP error, in the API of the request; `undefined` for other faults. */
export function errorResponse(fault: Fault, request: RecordedRequest): ErrorResponse | undefined {
  const dialect = dialectOf(request.path);
  switch (fault.type) {
    case 'status':
      return response(
        fault.status,
        fault.body === undefined
          ? dialectError(dialect, fault.status, { message: fault.message })
          : fault.body,
        fault.headers,
      );
    case 'rateLimited': {
      const { retryAfterSeconds: seconds, retryAfterMs: ms } = fault;
      const message =
        fault.message ??
        (dialect === 'gemini'
          ? 'You exceeded your current quota, please check your plan and billing details.'
          : `Rate limit reached for requests.${retryHint(seconds, ms)}`);
      const details = dialect === 'gemini' ? retryInfo(seconds, ms) : undefined;
      return response(
        429,
        dialectError(dialect, 429, { message, ...(details ? { details } : {}) }),
        retryHeaders(dialect, seconds, ms),
      );
    }
    case 'contextLength': {
      const limit = fault.maxTokens ?? DEFAULT_CONTEXT_WINDOW;
      const used = Math.max(promptTokens(request), limit + 1);
      const message =
        fault.message ??
        (dialect === 'anthropic'
          ? `prompt is too long: ${used} tokens > ${limit} maximum`
          : dialect === 'gemini'
            ? `The input token count (${used}) exceeds the maximum number of tokens allowed (${limit}).`
            : contextLengthMessage(limit, promptTokens(request)));
      return response(
        400,
        dialectError(dialect, 400, {
          message,
          type: 'invalid_request_error',
          param: 'messages',
          code: dialect === 'openai' ? 'context_length_exceeded' : undefined,
        }),
      );
    }
    case 'badRequest':
      return response(
        400,
        dialectError(dialect, 400, { message: fault.message, param: fault.param, code: fault.code }),
      );
    case 'unauthorized':
      if (dialect === 'gemini') {
        // Gemini answers an invalid key with a 400.
        return response(
          400,
          dialectError(dialect, 400, {
            message: fault.message ?? 'API key not valid. Please pass a valid API key.',
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: 'API_KEY_INVALID',
                domain: 'googleapis.com',
              },
            ],
          }),
        );
      }
      return response(
        401,
        dialectError(dialect, 401, {
          message: fault.message ?? (dialect === 'openai' ? invalidKeyMessage(request.apiKey) : undefined),
        }),
      );
    default:
      return undefined;
  }
}
