/**
 * The three APIs the mock speaks, and the error bodies of each: OpenAI's
 * `{ error: { message, type, param, code } }`, Anthropic's `{ type: 'error', error: { type, message } }`
 * and Gemini's `{ error: { code, message, status, details } }`.
 */
import { openAiError } from './openai-errors';

/** An API of the mock: OpenAI chat completions, Anthropic Messages, Gemini generateContent. */
export type Dialect = 'openai' | 'anthropic' | 'gemini';

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const ANTHROPIC_MESSAGES: Record<string, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  billing_error: 'Your credit balance is too low to access the Anthropic API.',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'Not found.',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'Number of requests has exceeded your rate limit.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

const GEMINI_STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const GEMINI_MESSAGES: Record<string, string> = {
  INVALID_ARGUMENT: 'Request contains an invalid argument.',
  UNAUTHENTICATED: 'Request had invalid authentication credentials.',
  PERMISSION_DENIED: 'The caller does not have permission.',
  NOT_FOUND: 'Requested entity was not found.',
  RESOURCE_EXHAUSTED: 'Resource has been exhausted (e.g. check quota).',
  INTERNAL:
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  UNAVAILABLE: 'The model is overloaded. Please try again later.',
  DEADLINE_EXCEEDED: 'The request timed out. Please try again.',
};

/** What an error body may override; each dialect reads what it has. */
export interface ErrorOverrides {
  message?: string;
  /** OpenAI `type`, Anthropic `error.type`. */
  type?: string;
  param?: string | null;
  /** OpenAI `code`, Gemini `status` (e.g. `RESOURCE_EXHAUSTED`). */
  code?: string | null;
  /** Gemini `details`. */
  details?: unknown[];
}

/** The error body `dialect` sends with `status`. */
export function dialectError(dialect: Dialect, status: number, overrides: ErrorOverrides = {}): unknown {
  switch (dialect) {
    case 'openai':
      return openAiError(status, overrides);
    case 'anthropic': {
      const type =
        overrides.type ?? ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      return {
        type: 'error',
        error: { type, message: overrides.message ?? ANTHROPIC_MESSAGES[type] ?? `HTTP ${status}` },
      };
    }
    case 'gemini': {
      const rpc =
        overrides.code ?? GEMINI_STATUSES[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT');
      return {
        error: {
          code: status,
          message: overrides.message ?? GEMINI_MESSAGES[rpc] ?? `HTTP ${status}`,
          status: rpc,
          ...(overrides.details ? { details: overrides.details } : {}),
        },
      };
    }
  }
}
