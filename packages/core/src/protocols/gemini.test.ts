import type { ChatCompletionChunk, ChatRequest } from '../types';
import {
  classifyGemini,
  fromGeminiResponse,
  GEMINI_FINISH_REASONS,
  GeminiStreamDecoder,
  geminiRetryDelayMs,
  toGeminiRequest,
} from './gemini';
import { Unsupported } from './wire';

const user = { role: 'user', content: 'hi' } as const;
const base = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ messages: [user], ...extra });

describe('Gemini request fields', () => {
  test.each<[string, Partial<ChatRequest>, Record<string, unknown>]>([
    ['max_tokens', { max_tokens: 10 }, { generationConfig: { maxOutputTokens: 10 } }],
    ['max_completion_tokens', { max_completion_tokens: 11 }, { generationConfig: { maxOutputTokens: 11 } }],
    ['temperature', { temperature: 0.2 }, { generationConfig: { temperature: 0.2 } }],
    ['top_p', { top_p: 0.9 }, { generationConfig: { topP: 0.9 } }],
    ['stop', { stop: ['A'] }, { generationConfig: { stopSequences: ['A'] } }],
    ['presence_penalty', { presence_penalty: 0.5 }, { generationConfig: { presencePenalty: 0.5 } }],
    ['frequency_penalty', { frequency_penalty: 0.5 }, { generationConfig: { frequencyPenalty: 0.5 } }],
    ['seed', { seed: 7 }, { generationConfig: { seed: 7 } }],
    [
      'response_format json_object',
      { response_format: { type: 'json_object' } },
      { generationConfig: { responseMimeType: 'application/json' } },
    ],
    [
      'response_format json_schema',
      { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } } },
      { generationConfig: { responseMimeType: 'application/json', responseJsonSchema: { type: 'object' } } },
    ],
    [
      'reasoning_effort',
      { reasoning_effort: 'medium' },
      { generationConfig: { thinkingConfig: { thinkingBudget: 8192, includeThoughts: true } } },
    ],
    [
      'reasoning_effort none',
      { reasoning_effort: 'none' },
      { generationConfig: { thinkingConfig: { thinkingBudget: 0 } } },
    ],
    [
      'tool_choice auto',
      { tool_choice: 'auto' },
      { toolConfig: { functionCallingConfig: { mode: 'AUTO' } } },
    ],
    [
      'tool_choice none',
      { tool_choice: 'none' },
      { toolConfig: { functionCallingConfig: { mode: 'NONE' } } },
    ],
    [
      'tool_choice required',
      { tool_choice: 'required' },
      { toolConfig: { functionCallingConfig: { mode: 'ANY' } } },
    ],
    [
      'tool_choice a function',
      { tool_choice: { type: 'function', function: { name: 'f' } } },
      { toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['f'] } } },
    ],
    [
      'tools',
      {
        tools: [
          { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } },
        ],
      },
      {
        tools: [
          {
            functionDeclarations: [{ name: 'f', description: 'd', parametersJsonSchema: { type: 'object' } }],
          },
        ],
      },
    ],
  ])('%s', (_name, extra, expected) => {
    expect(toGeminiRequest(base(extra))).toMatchObject(expected);
  });

  test.each<[string, Partial<ChatRequest>, string]>([
    ['n', { n: 3 }, 'n'],
    ['logprobs', { logprobs: true }, 'logprobs'],
    ['logit_bias', { logit_bias: { 1: 5 } }, 'logit_bias'],
    ['parallel_tool_calls false', { parallel_tool_calls: false }, 'parallel_tool_calls'],
    ['audio output', { modalities: ['audio'] }, 'modalities'],
    [
      'a json_schema without a schema',
      { response_format: { type: 'json_schema', json_schema: {} } },
      'response_format.json_schema.schema',
    ],
    ['an unknown reasoning_effort', { reasoning_effort: 'max' }, 'reasoning_effort'],
    [
      'an image by URL',
      {
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
      },
      'messages[0].content[0].image_url.url',
    ],
    [
      'a tool result for no call',
      { messages: [user, { role: 'tool', tool_call_id: 'nope', content: 'x' }] },
      'messages[1].tool_call_id',
    ],
  ])('refuses %s', (_name, extra, field) => {
    const error = (() => {
      try {
        toGeminiRequest(base(extra));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Unsupported);
    expect((error as Unsupported).field).toBe(field);
  });

  test('roles: user and model turns, inline media, function calls and their responses merged', () => {
    const body = toGeminiRequest({
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
            { type: 'input_audio', input_audio: { data: 'UklG', format: 'wav' } },
          ],
        },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
            { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'a', content: 'one' },
        { role: 'tool', tool_call_id: 'b', content: 'two' },
      ],
    });
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }] });
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [
          { text: 'Look' },
          { inlineData: { mimeType: 'image/jpeg', data: '/9j/' } },
          { inlineData: { mimeType: 'audio/wav', data: 'UklG' } },
        ],
      },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'f', args: { x: 1 } } }, { functionCall: { name: 'g', args: {} } }],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'f', response: { name: 'f', content: 'one' } } },
          { functionResponse: { name: 'g', response: { name: 'g', content: 'two' } } },
        ],
      },
    ]);
  });
});

describe('Gemini finish reasons', () => {
  test.each(Object.entries(GEMINI_FINISH_REASONS))('%s -> %s', (reason, finish) => {
    const answer = { candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason: reason }] };
    expect(fromGeminiResponse(answer, 'm', 200).choices[0]!.finish_reason).toBe(finish);
  });

  test('STOP with a function call -> tool_calls', () => {
    const answer = {
      candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }] }, finishReason: 'STOP' }],
    };
    expect(fromGeminiResponse(answer, 'm', 200).choices[0]!.finish_reason).toBe('tool_calls');
  });

  test.each(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL'])('%s fails the attempt', (reason) => {
    const answer = { candidates: [{ content: { parts: [] }, finishReason: reason }] };
    expect(() => fromGeminiResponse(answer, 'm', 200)).toThrow(
      expect.objectContaining({ name: 'AttemptFailure' }),
    );
  });

  test('a blocked prompt (no candidates) -> content_filter', () => {
    const answer = { promptFeedback: { blockReason: 'SAFETY' } };
    expect(fromGeminiResponse(answer, 'm', 200).choices[0]!.finish_reason).toBe('content_filter');
  });
});

describe('Gemini answers', () => {
  test('text, thoughts and function calls; usage counts thoughts as completion', () => {
    const completion = fromGeminiResponse(
      {
        responseId: 'r1',
        modelVersion: 'gemini-x',
        candidates: [
          {
            content: {
              parts: [
                { text: 'hmm', thought: true },
                { text: 'Hi' },
                { functionCall: { id: 'c1', name: 'f', args: { a: 1 } } },
              ],
            },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: {
          promptTokenCount: 10,
          cachedContentTokenCount: 6,
          candidatesTokenCount: 3,
          thoughtsTokenCount: 2,
          totalTokenCount: 15,
        },
      },
      'm',
      200,
    );
    expect(completion).toMatchObject({
      id: 'r1',
      model: 'gemini-x',
      choices: [
        {
          message: {
            content: 'Hi',
            reasoning_content: 'hmm',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        total_tokens: 15,
        prompt_tokens_details: { cached_tokens: 6 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
  });
});

describe('Gemini stream events', () => {
  function decode(answers: unknown[]): { chunks: ChatCompletionChunk[]; complete: boolean } {
    const decoder = new GeminiStreamDecoder('m');
    const chunks: ChatCompletionChunk[] = [];
    for (const answer of answers) decoder.decode('', JSON.stringify(answer), (c) => chunks.push(c));
    return { chunks, complete: decoder.complete };
  }
  const part = (p: unknown, finishReason?: string) => ({
    candidates: [{ content: { parts: [p] }, ...(finishReason ? { finishReason } : {}) }],
  });

  test.each<[string, unknown, Record<string, unknown>]>([
    ['text: content', part({ text: 'Hi' }), { content: 'Hi' }],
    ['a thought: reasoning', part({ text: 'so', thought: true }), { reasoning_content: 'so' }],
    [
      'a function call: the whole call',
      part({ functionCall: { id: 'c', name: 'f', args: { a: 1 } } }),
      {
        tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
      },
    ],
  ])('%s', (_name, answer, delta) => {
    const { chunks } = decode([answer]);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks[1]!.choices[0]!.delta).toEqual(delta);
  });

  test('the finish reason ends the stream with a finish chunk and a usage chunk', () => {
    const last = {
      ...part({ text: '!' }, 'MAX_TOKENS'),
      usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 4 },
    };
    const { chunks, complete } = decode([part({ text: 'Hi' }), last]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([
      null,
      null,
      null,
      'length',
      null,
    ]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 4 } });
    expect(complete).toBe(true);
  });

  test('an error object in the stream: UNAVAILABLE fails over, others are stream errors', () => {
    expect(() => decode([{ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }])).toThrow(
      expect.objectContaining({
        name: 'AttemptFailure',
        classification: expect.objectContaining({ verdict: 'failover' }),
      }),
    );
    expect(() => decode([{ error: { code: 500, message: 'boom', status: 'INTERNAL' } }])).toThrow(
      expect.objectContaining({ name: 'StreamPayloadError', providerCode: 'INTERNAL' }),
    );
  });
});

describe('Gemini errors', () => {
  const body = (code: number, status: string, message = 'x', details?: unknown[]) =>
    JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });
  test.each<[string, number, string, Record<string, unknown>]>([
    [
      'RESOURCE_EXHAUSTED (429)',
      429,
      body(429, 'RESOURCE_EXHAUSTED'),
      { outcome: 'rate_limited', keyFault: 'rate' },
    ],
    ['UNAVAILABLE (503)', 503, body(503, 'UNAVAILABLE'), { outcome: 'server_error', verdict: 'failover' }],
    ['INTERNAL (500)', 500, body(500, 'INTERNAL'), { outcome: 'server_error', verdict: 'retry' }],
    [
      'DEADLINE_EXCEEDED (504)',
      504,
      body(504, 'DEADLINE_EXCEEDED'),
      { outcome: 'server_error', verdict: 'retry' },
    ],
    [
      'API_KEY_INVALID (400)',
      400,
      body(400, 'INVALID_ARGUMENT', 'API key not valid.', [{ reason: 'API_KEY_INVALID' }]),
      { outcome: 'auth_error', verdict: 'failover', keyFault: 'auth' },
    ],
    [
      'PERMISSION_DENIED (403)',
      403,
      body(403, 'PERMISSION_DENIED'),
      { outcome: 'auth_error', keyFault: 'auth' },
    ],
    [
      'FAILED_PRECONDITION (400)',
      400,
      body(400, 'FAILED_PRECONDITION'),
      { outcome: 'auth_error', verdict: 'failover' },
    ],
    ['NOT_FOUND (404)', 404, body(404, 'NOT_FOUND'), { outcome: 'not_found', verdict: 'failover' }],
    [
      'too many input tokens (400)',
      400,
      body(
        400,
        'INVALID_ARGUMENT',
        'The input token count (9000) exceeds the maximum number of tokens allowed (8192).',
      ),
      { outcome: 'context_length', verdict: 'context' },
    ],
    [
      'INVALID_ARGUMENT (400)',
      400,
      body(400, 'INVALID_ARGUMENT'),
      { outcome: 'client_error', verdict: 'fatal', providerCode: 'INVALID_ARGUMENT' },
    ],
  ])('%s', (_name, status, text, expected) => {
    expect(classifyGemini(status, {}, text)).toMatchObject({ status, ...expected });
  });

  test('RESOURCE_EXHAUSTED waits its RetryInfo delay when no header says otherwise', () => {
    const details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.5s' }];
    const text = body(429, 'RESOURCE_EXHAUSTED', 'quota', details);
    expect(geminiRetryDelayMs(JSON.parse(text).error)).toBe(1500);
    expect(classifyGemini(429, {}, text).retryAfterMs).toBe(1500);
    expect(classifyGemini(429, { 'retry-after': '2' }, text).retryAfterMs).toBe(2000);
  });
});
