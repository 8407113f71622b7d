import type { ChatCompletionChunk, ChatRequest } from '../types';
import {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_FINISH_REASONS,
  AnthropicStreamDecoder,
  anthropicResetMs,
  classifyAnthropic,
  fromAnthropicResponse,
  toAnthropicRequest,
} from './anthropic';
import { Unsupported } from './wire';

const user = { role: 'user', content: 'hi' } as const;
const base = (extra: Partial<ChatRequest> = {}): ChatRequest => ({ messages: [user], ...extra });

describe('Anthropic request fields', () => {
  test.each<[string, Partial<ChatRequest>, Record<string, unknown>]>([
    ['max_tokens', { max_tokens: 10 }, { max_tokens: 10 }],
    ['max_completion_tokens', { max_completion_tokens: 11 }, { max_tokens: 11 }],
    ['no max_tokens: the documented default', {}, { max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS }],
    ['temperature', { temperature: 0.2 }, { temperature: 0.2 }],
    ['top_p', { top_p: 0.9 }, { top_p: 0.9 }],
    ['stop (string)', { stop: 'END' }, { stop_sequences: ['END'] }],
    ['stop (array)', { stop: ['A', 'B'] }, { stop_sequences: ['A', 'B'] }],
    ['user', { user: 'u-1' }, { metadata: { user_id: 'u-1' } }],
    ['tool_choice auto', { tool_choice: 'auto' }, { tool_choice: { type: 'auto' } }],
    ['tool_choice none', { tool_choice: 'none' }, { tool_choice: { type: 'none' } }],
    ['tool_choice required', { tool_choice: 'required' }, { tool_choice: { type: 'any' } }],
    [
      'tool_choice a function',
      { tool_choice: { type: 'function', function: { name: 'f' } } },
      { tool_choice: { type: 'tool', name: 'f' } },
    ],
    [
      'parallel_tool_calls false',
      { parallel_tool_calls: false },
      { tool_choice: { type: 'auto', disable_parallel_tool_use: true } },
    ],
    [
      'reasoning_effort',
      { reasoning_effort: 'low' },
      { thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS + 1024 },
    ],
    [
      'tools',
      {
        tools: [
          { type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' } } },
        ],
      },
      { tools: [{ name: 'f', description: 'd', input_schema: { type: 'object' } }] },
    ],
    [
      'a tool without parameters',
      { tools: [{ type: 'function', function: { name: 'f' } }] },
      { tools: [{ name: 'f', input_schema: { type: 'object', properties: {} } }] },
    ],
    ['response_format text', { response_format: { type: 'text' } }, {}],
  ])('%s', (_name, extra, expected) => {
    expect(toAnthropicRequest(base(extra), false)).toMatchObject(expected);
  });

  test.each<[string, Partial<ChatRequest>, string]>([
    ['n', { n: 2 }, 'n'],
    ['logprobs', { logprobs: true }, 'logprobs'],
    ['top_logprobs', { top_logprobs: 3 }, 'top_logprobs'],
    ['logit_bias', { logit_bias: { 1: 5 } }, 'logit_bias'],
    ['presence_penalty', { presence_penalty: 0.5 }, 'presence_penalty'],
    ['frequency_penalty', { frequency_penalty: 0.5 }, 'frequency_penalty'],
    ['audio output', { modalities: ['text', 'audio'] }, 'modalities'],
    ['JSON mode', { response_format: { type: 'json_object' } }, 'response_format'],
    ['JSON schema', { response_format: { type: 'json_schema' } }, 'response_format'],
    ['legacy functions', { functions: [{ name: 'f' }] }, 'functions'],
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, 'tools[0]'],
    ['max_tokens within the thinking budget', { reasoning_effort: 'high', max_tokens: 100 }, 'max_tokens'],
  ])('refuses %s', (_name, extra, field) => {
    const error = (() => {
      try {
        toAnthropicRequest(base(extra), false);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Unsupported);
    expect((error as Unsupported).field).toBe(field);
  });

  test('neutral values of refused fields pass', () => {
    expect(() =>
      toAnthropicRequest(base({ n: 1, logprobs: false, presence_penalty: 0, frequency_penalty: 0 }), false),
    ).not.toThrow();
  });
});

describe('Anthropic messages', () => {
  test('leading system and developer messages become the system blocks', () => {
    const body = toAnthropicRequest(
      {
        messages: [
          { role: 'system', content: 'A' },
          { role: 'developer', content: [{ type: 'text', text: 'B' }] },
          user,
        ],
      },
      false,
    );
    expect(body.system).toEqual([
      { type: 'text', text: 'A' },
      { type: 'text', text: 'B' },
    ]);
  });

  test('a system message later in the conversation is refused', () => {
    expect(() =>
      toAnthropicRequest({ messages: [user, { role: 'system', content: 'late' }] }, false),
    ).toThrow(Unsupported);
  });

  test('images: a data URL is sent inline, an http URL by reference; PDFs as documents', () => {
    const body = toAnthropicRequest(
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE' } },
            ],
          },
        ],
      },
      false,
    );
    expect((body.messages as Array<{ content: unknown }>)[0]!.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBE' } },
    ]);
  });

  test('audio input is refused', () => {
    expect(() =>
      toAnthropicRequest(
        {
          messages: [
            { role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] },
          ],
        },
        false,
      ),
    ).toThrow(Unsupported);
  });

  test('consecutive tool results are merged into one user turn; cache_control is kept', () => {
    const body = toAnthropicRequest(
      {
        messages: [
          {
            role: 'user',
            content: [{ type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } }],
          },
          {
            role: 'assistant',
            content: 'Calling.',
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
              { id: 'b', type: 'function', function: { name: 'g', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: 'one' },
          { role: 'tool', tool_call_id: 'b', content: 'two' },
        ],
      },
      false,
    );
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [{ type: 'text', text: 'long context', cache_control: { type: 'ephemeral' } }],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Calling.' },
          { type: 'tool_use', id: 'a', name: 'f', input: { x: 1 } },
          { type: 'tool_use', id: 'b', name: 'g', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'a', content: 'one' },
          { type: 'tool_result', tool_use_id: 'b', content: 'two' },
        ],
      },
    ]);
  });

  test('tool-call arguments that are not JSON are refused', () => {
    expect(() =>
      toAnthropicRequest(
        {
          messages: [
            user,
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{' } }],
            },
          ],
        },
        false,
      ),
    ).toThrow(Unsupported);
  });
});

describe('Anthropic finish reasons', () => {
  test.each(Object.entries(ANTHROPIC_FINISH_REASONS))('%s -> %s', (stop, finish) => {
    const completion = fromAnthropicResponse({ content: [], stop_reason: stop }, 'm', 200);
    expect(completion.choices[0]!.finish_reason).toBe(finish);
  });

  test('an unknown stop reason is stop', () => {
    expect(
      fromAnthropicResponse({ content: [], stop_reason: 'new' }, 'm', 200).choices[0]!.finish_reason,
    ).toBe('stop');
  });
});

describe('Anthropic answers', () => {
  test('text, thinking and tool_use blocks; usage counts cached and cache-written prompt tokens', () => {
    const completion = fromAnthropicResponse(
      {
        id: 'msg_1',
        model: 'claude-x',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 's' },
          { type: 'text', text: 'Hi' },
          { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 } },
        ],
        stop_reason: 'tool_use',
        usage: {
          input_tokens: 5,
          cache_read_input_tokens: 10,
          cache_creation_input_tokens: 2,
          output_tokens: 7,
        },
      },
      'm',
      200,
    );
    expect(completion).toMatchObject({
      id: 'msg_1',
      model: 'claude-x',
      choices: [
        {
          message: {
            content: 'Hi',
            reasoning_content: 'hmm',
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: {
        prompt_tokens: 17,
        completion_tokens: 7,
        total_tokens: 24,
        prompt_tokens_details: { cached_tokens: 10 },
      },
    });
  });

  test('an answer without content is a bad response', () => {
    expect(() => fromAnthropicResponse({ type: 'message' }, 'm', 200)).toThrow('no `content` array');
  });
});

describe('Anthropic stream events', () => {
  function decode(events: Array<[string, Record<string, unknown>]>): {
    chunks: ChatCompletionChunk[];
    complete: boolean;
  } {
    const decoder = new AnthropicStreamDecoder('m');
    const chunks: ChatCompletionChunk[] = [];
    for (const [name, data] of events)
      decoder.decode(name, JSON.stringify({ type: name, ...data }), (c) => chunks.push(c));
    return { chunks, complete: decoder.complete };
  }
  const start: [string, Record<string, unknown>] = [
    'message_start',
    { message: { id: 'msg_1', model: 'claude-x', usage: { input_tokens: 4, output_tokens: 1 } } },
  ];

  test.each<[string, Array<[string, Record<string, unknown>]>, Record<string, unknown>]>([
    ['message_start: the role', [start], { role: 'assistant', content: '' }],
    [
      'text_delta: content',
      [start, ['content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }]],
      { content: 'Hi' },
    ],
    [
      'thinking_delta: reasoning',
      [start, ['content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'so' } }]],
      { reasoning_content: 'so' },
    ],
    [
      'tool_use start: the call',
      [
        start,
        [
          'content_block_start',
          { index: 1, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } },
        ],
      ],
      { tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '' } }] },
    ],
    [
      'input_json_delta: arguments',
      [
        start,
        [
          'content_block_start',
          { index: 1, content_block: { type: 'tool_use', id: 't', name: 'f', input: {} } },
        ],
        ['content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"a"' } }],
      ],
      { tool_calls: [{ index: 0, function: { arguments: '{"a"' } }] },
    ],
  ])('%s', (_name, events, delta) => {
    expect(decode(events).chunks.at(-1)!.choices[0]!.delta).toEqual(delta);
  });

  test('message_delta: the finish reason; message_stop: the usage chunk and the end', () => {
    const { chunks, complete } = decode([
      start,
      ['ping', {}],
      ['message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 9 } }],
      ['message_stop', {}],
    ]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, 'length', null]);
    expect(chunks.at(-1)).toMatchObject({
      id: 'msg_1',
      choices: [],
      usage: { prompt_tokens: 4, completion_tokens: 9 },
    });
    expect(complete).toBe(true);
  });

  test('an overloaded_error event fails over; another error is a stream error', () => {
    expect(() =>
      decode([start, ['error', { error: { type: 'overloaded_error', message: 'Overloaded' } }]]),
    ).toThrow(
      expect.objectContaining({
        name: 'AttemptFailure',
        classification: expect.objectContaining({ verdict: 'failover' }),
      }),
    );
    expect(() => decode([start, ['error', { error: { type: 'api_error', message: 'boom' } }]])).toThrow(
      expect.objectContaining({ name: 'StreamPayloadError', providerCode: 'api_error' }),
    );
  });
});

describe('Anthropic errors', () => {
  const body = (type: string, message = 'x') => JSON.stringify({ type: 'error', error: { type, message } });
  test.each<[string, number, string, Record<string, unknown>]>([
    [
      'overloaded_error (529)',
      529,
      body('overloaded_error'),
      { outcome: 'server_error', verdict: 'failover' },
    ],
    ['api_error (500)', 500, body('api_error'), { outcome: 'server_error', verdict: 'retry' }],
    ['rate_limit_error (429)', 429, body('rate_limit_error'), { outcome: 'rate_limited', keyFault: 'rate' }],
    [
      'authentication_error (401)',
      401,
      body('authentication_error'),
      { outcome: 'auth_error', keyFault: 'auth' },
    ],
    ['permission_error (403)', 403, body('permission_error'), { outcome: 'auth_error', verdict: 'failover' }],
    [
      'billing_error (402)',
      402,
      body('billing_error'),
      { outcome: 'auth_error', verdict: 'failover', keyFault: 'auth' },
    ],
    ['not_found_error (404)', 404, body('not_found_error'), { outcome: 'not_found', verdict: 'failover' }],
    [
      'prompt too long (400)',
      400,
      body('invalid_request_error', 'prompt is too long: 300000 tokens > 200000 maximum'),
      { outcome: 'context_length', verdict: 'context' },
    ],
    [
      'invalid_request_error (400)',
      400,
      body('invalid_request_error'),
      { outcome: 'client_error', verdict: 'fatal' },
    ],
  ])('%s', (_name, status, text, expected) => {
    expect(classifyAnthropic(status, {}, text)).toMatchObject({ status, ...expected });
  });

  test('a 429 waits retry-after, else the reset time of its exhausted limit', () => {
    expect(classifyAnthropic(429, { 'retry-after': '7' }, body('rate_limit_error')).retryAfterMs).toBe(7000);
    const now = Date.now();
    const headers = {
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': new Date(now + 4000).toISOString(),
      'anthropic-ratelimit-tokens-remaining': '100',
      'anthropic-ratelimit-tokens-reset': new Date(now + 60_000).toISOString(),
    };
    const wait = anthropicResetMs(headers, now);
    expect(wait).toBe(4000);
  });
});
