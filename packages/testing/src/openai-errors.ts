/** The body of an OpenAI API error. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

interface ErrorDefaults {
  message: string;
  type: string;
  code: string | null;
}

const DEFAULTS: Record<number, ErrorDefaults> = {
  400: { message: 'Bad request.', type: 'invalid_request_error', code: null },
  401: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
  403: { message: 'You are not allowed to access this resource.', type: 'invalid_request_error', code: null },
  404: { message: 'Not found.', type: 'invalid_request_error', code: null },
  408: { message: 'Request timed out.', type: 'server_error', code: 'timeout' },
  409: { message: 'Conflict.', type: 'invalid_request_error', code: null },
  422: { message: 'Unprocessable entity.', type: 'invalid_request_error', code: null },
  429: { message: 'Rate limit reached for requests.', type: 'requests', code: 'rate_limit_exceeded' },
  500: {
    message: 'The server had an error while processing your request. Sorry about that!',
    type: 'server_error',
    code: null,
  },
  502: { message: 'Bad gateway.', type: 'server_error', code: null },
  503: {
    message: 'The engine is currently overloaded, please try again later.',
    type: 'server_error',
    code: null,
  },
  504: { message: 'Gateway timeout.', type: 'server_error', code: null },
  529: { message: 'Overloaded.', type: 'overloaded_error', code: null },
};

/** Builds an OpenAI-shaped error body with the usual message, type and code for `status`. */
export function openAiError(
  status: number,
  overrides: { message?: string; type?: string; param?: string | null; code?: string | null } = {},
): OpenAiErrorBody {
  const base = DEFAULTS[status] ?? {
    message: `HTTP ${status}.`,
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
  };
  return {
    error: {
      message: overrides.message ?? base.message,
      type: overrides.type ?? base.type,
      param: overrides.param ?? null,
      code: overrides.code === undefined ? base.code : overrides.code,
    },
  };
}

/** The message OpenAI sends with `context_length_exceeded`. */
export function contextLengthMessage(maxTokens: number, promptTokens: number): string {
  const used = Math.max(promptTokens, maxTokens + 1);
  return (
    `This model's maximum context length is ${maxTokens} tokens. However, your messages resulted in ` +
    `${used} tokens. Please reduce the length of the messages.`
  );
}

/** The message OpenAI sends with a 401 for `apiKey`. */
export function invalidKeyMessage(apiKey: string | undefined): string {
  if (apiKey === undefined) {
    return "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
  }
  const masked = apiKey.length > 8 ? `${apiKey.slice(0, 3)}***${apiKey.slice(-4)}` : '***';
  return `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`;
}

/** The message OpenAI sends when the body is not JSON. */
export const INVALID_JSON_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";
