/**
 * Native protocols end to end: the client speaks chat completions, the mock answers as Anthropic's
 * Messages API and Gemini's generateContent over real HTTP, and failover crosses protocols.
 */
import { fault, MockProvider } from '@ai-failover/testing';
import {
  AiClient,
  type AiFailoverConfig,
  type ChatCompletionChunk,
  type ChatRequest,
  type PolicyConfig,
  type Protocol,
  StreamInterruptedError,
  UnsupportedFeatureError,
  UpstreamError,
} from '.';
import { resolveConfig } from './config';
import { Runtime } from './engine/runtime';
import { Events } from './events';
import { ActiveProber } from './health/probes';

type Name = 'ant' | 'gem' | 'oai';
/** A request body as the mock recorded it. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary recorded JSON
type Wire = Record<string, any>;
const PROTOCOL: Record<Name, Protocol> = { ant: 'anthropic', gem: 'gemini', oai: 'openai' };
const MODEL: Record<Name, string> = { ant: 'claude-sonnet', gem: 'gemini-2.5-pro', oai: 'gpt-4.1' };

interface Setup {
  client: AiClient;
  config: AiFailoverConfig;
  mock: Record<Name, MockProvider>;
  close(): Promise<void>;
}

let setup: Setup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

/** One mock per protocol, and a group `chat` over `order`. */
async function start(
  order: Name[],
  options: { policy?: PolicyConfig } = {},
  extra: Partial<AiFailoverConfig> = {},
): Promise<Setup> {
  const names: Name[] = ['ant', 'gem', 'oai'];
  const mocks = await Promise.all(
    names.map((name) => MockProvider.start({ name, models: [MODEL[name]], apiKeys: [`key-${name}`] })),
  );
  const mock = { ant: mocks[0]!, gem: mocks[1]!, oai: mocks[2]! };
  const baseUrl = (name: Name) =>
    name === 'ant' ? mock.ant.anthropicBaseUrl : name === 'gem' ? mock.gem.geminiBaseUrl : mock.oai.baseUrl;
  const config: AiFailoverConfig = {
    providers: names.map((name) => ({
      id: name,
      baseUrl: baseUrl(name),
      apiKey: `key-${name}`,
      protocol: PROTOCOL[name],
    })),
    models: {
      chat: {
        deployments: order.map((name) => ({
          provider: name,
          model: MODEL[name],
          price: { input: 1, output: 2 },
        })),
      },
    },
    policy: { retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...options.policy },
    ...extra,
  };
  const client = new AiClient(config);
  setup = {
    client,
    config,
    mock,
    async close() {
      await client.close();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
  return setup;
}

const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };

const weather: ChatRequest = {
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Weather in Paris?' },
  ],
  tools: [
    {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Weather of a city',
        parameters,
      },
    },
  ],
};

const hello: ChatRequest = { messages: [{ role: 'user', content: 'hello there' }] };

interface ToolCallDelta {
  index: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<{
  text: string;
  reasoning: string;
  tools: Array<{ id?: string; name?: string; arguments: string }>;
  finish: string | null;
}> {
  let text = '';
  let reasoning = '';
  let finish: string | null = null;
  const tools: Array<{ id?: string; name?: string; arguments: string }> = [];
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta.content ?? '';
    reasoning += (choice.delta.reasoning_content as string | undefined) ?? '';
    for (const call of (choice.delta.tool_calls as ToolCallDelta[] | undefined) ?? []) {
      tools[call.index] ??= { arguments: '' };
      const entry = tools[call.index]!;
      if (call.id) entry.id = call.id;
      if (call.function?.name) entry.name = call.function.name;
      entry.arguments += call.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  return { text, reasoning, tools, finish };
}

describe.each([
  ['ant', 'anthropic'],
  ['gem', 'gemini'],
] as const)('%s deployment (%s protocol)', (name, _protocol) => {
  test('a completion: text, usage with cached tokens, cost, and the native request on the wire', async () => {
    const { client, mock } = await start([name]);
    mock[name].setDefault(fault.ok({ usage: { prompt_tokens: 12, cached_tokens: 4, completion_tokens: 3 } }));
    const { response, report } = await client.chat({ ...weather, tools: undefined, max_tokens: 50 });
    expect(response.choices[0]).toMatchObject({
      message: { role: 'assistant', content: `Hello from ${name}` },
      finish_reason: 'stop',
    });
    expect(response.usage).toMatchObject({
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
    });
    expect(report.deployment).toBe(`${name}/${MODEL[name]}`);
    expect(report.costUsd).toBeCloseTo((12 * 1 + 3 * 2) / 1e6, 12);

    const sent = mock[name].requests[0]!;
    expect(sent.apiKey).toBe(`key-${name}`);
    if (name === 'ant') {
      expect(sent.path).toBe('/v1/messages');
      expect(sent.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent.headers.authorization).toBeUndefined();
      expect(sent.body).toEqual({
        model: MODEL.ant,
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
        max_tokens: 50,
      });
    } else {
      expect(sent.path).toBe(`/v1beta/models/${MODEL.gem}:generateContent`);
      expect(sent.headers['x-goog-api-key']).toBe('key-gem');
      expect(sent.body).toEqual({
        contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { maxOutputTokens: 50 },
      });
    }
  });

  test('a stream: the text word by word, then the finish reason and the usage', async () => {
    const { client, mock } = await start([name]);
    const stream = await client.chatStream({ ...hello, stream_options: { include_usage: true } });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const content = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter(Boolean);
    expect(content).toEqual(['Hello', ' from', ` ${name}`]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 3 } });
    expect((await stream.done).usage).toMatchObject({
      prompt_tokens: 3,
      completion_tokens: 3,
      total_tokens: 6,
    });
    expect(mock[name].requests[0]!.stream).toBe(true);
    if (name === 'gem') expect(mock.gem.requests[0]!.path).toMatch(/:streamGenerateContent$/);
  });

  test('tool calls: the tools go out natively, the calls come back with their arguments intact', async () => {
    const { client, mock } = await start([name]);
    const args = { city: 'Paris', units: 'celsius', note: 'quote " and ünïcode' };
    mock[name].setDefault(fault.ok({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: args }] }));
    const { response } = await client.chat({ ...weather, tool_choice: 'required' });
    const message = response.choices[0]!.message;
    expect(response.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.content).toBeNull();
    const calls = message.tool_calls as Array<{ id: string; function: { name: string; arguments: string } }>;
    expect(calls).toHaveLength(1);
    expect(calls[0]!.function.name).toBe('get_weather');
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual(args);

    const sent = mock[name].requests[0]!.body as Wire;
    if (name === 'ant') {
      expect(sent.tools).toEqual([
        {
          name: 'get_weather',
          description: 'Weather of a city',
          input_schema: parameters,
        },
      ]);
      expect(sent.tool_choice).toEqual({ type: 'any' });
    } else {
      expect(sent.tools).toEqual([
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Weather of a city',
              parametersJsonSchema: parameters,
            },
          ],
        },
      ]);
      expect(sent.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    }

    // The tool's result goes back as a tool_result block / functionResponse part.
    mock[name].setDefault(fault.ok({ content: 'It is sunny.' }));
    const followUp = await client.chat({
      ...weather,
      messages: [
        ...weather.messages,
        { role: 'assistant', content: null, tool_calls: [calls[0]] },
        { role: 'tool', tool_call_id: calls[0]!.id, content: '{"sky":"clear"}' },
      ],
    });
    expect(followUp.response.choices[0]!.message.content).toBe('It is sunny.');
    const second = mock[name].requests[1]!.body as Wire;
    if (name === 'ant') {
      expect(second.messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: args }],
        },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 'call_1', content: '{"sky":"clear"}' }],
        },
      ]);
    } else {
      expect(second.contents.slice(1)).toEqual([
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args } }] },
        {
          role: 'user',
          parts: [
            {
              functionResponse: {
                name: 'get_weather',
                response: { name: 'get_weather', content: '{"sky":"clear"}' },
              },
            },
          ],
        },
      ]);
    }
  });

  test('streamed tool calls and thinking: reasoning deltas, then the call with its arguments joined', async () => {
    const { client, mock } = await start([name]);
    const args = { city: 'Paris' };
    mock[name].setDefault(
      fault.ok({
        reasoning: 'The user wants weather.',
        toolCalls: [{ name: 'get_weather', arguments: args }],
      }),
    );
    const result = await collect(await client.chatStream(weather));
    expect(result.reasoning).toBe('The user wants weather.');
    expect(result.text).toBe('');
    expect(result.tools).toHaveLength(1);
    expect(result.tools[0]!.name).toBe('get_weather');
    expect(result.tools[0]!.id).toEqual(expect.any(String));
    expect(JSON.parse(result.tools[0]!.arguments)).toEqual(args);
    expect(result.finish).toBe('tool_calls');
  });

  test('a stream cut after content ends in StreamInterruptedError; cut before content, the next one serves', async () => {
    const { client, mock } = await start([name, 'oai']);
    // Anthropic: message_start, ping, content_block_start, "Hello"; Gemini: "Hello", " from".
    mock[name].setDefault(fault.resetMidStream(name === 'ant' ? 4 : 1));
    const stream = await client.chatStream(hello);
    expect(stream.deployment).toBe(`${name}/${MODEL[name]}`);
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(text).toBe('Hello');
    expect(mock.oai.requests).toHaveLength(0);

    // No content yet (Anthropic: message_start and ping only; Gemini: no event at all).
    mock[name].setDefault(fault.resetMidStream(name === 'ant' ? 2 : 0));
    const next = await client.chatStream(hello);
    expect(next.deployment).toBe('oai/gpt-4.1');
    expect((await collect(next)).text).toBe('Hello from oai');
  });

  test('an unsupported feature is a typed 400 naming the field, before any call', async () => {
    const { client, mock } = await start([name]);
    const error = await client.chat({ ...hello, logprobs: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error).toMatchObject({ code: 'AI_INVALID_REQUEST', status: 400, field: 'logprobs' });
    expect((error as Error).message).toContain(`${name}/${MODEL[name]}`);
    expect(mock[name].requests).toHaveLength(0);
  });

  test.each(['models', 'completion'] as const)('a %s probe speaks the native API', async (mode) => {
    const { config, mock } = await start([name]);
    const runtime = new Runtime(resolveConfig(config), new Events());
    const prober = new ActiveProber(runtime, { intervalMs: 60_000, timeoutMs: 2000, jitter: 0, mode });
    try {
      const health = runtime.deployments.get(`${name}/${MODEL[name]}`)!.health;
      await prober.probeOnce();
      const [probe] = mock[name].requests;
      const paths = {
        models: { ant: '/v1/models', gem: '/v1beta/models' },
        completion: { ant: '/v1/messages', gem: `/v1beta/models/${MODEL.gem}:generateContent` },
      };
      expect(probe!.path).toBe(paths[mode][name]);
      expect(probe!.status).toBe(200);
      expect(health.snapshot().samples).toBe(1);
      expect(health.snapshot().consecutiveFailures).toBe(0);
      mock[name].setDefault(fault.status(name === 'ant' ? 529 : 503));
      await prober.probeOnce();
      expect(health.snapshot().consecutiveFailures).toBe(1);
    } finally {
      await prober.close();
      await runtime.close();
    }
  });
});

describe('failover across protocols', () => {
  test('a 529 overloaded_error from Anthropic fails over to Gemini at once, even with retries left', async () => {
    const { client, mock } = await start(['ant', 'gem'], { policy: { retries: 2 } });
    mock.ant.setDefault(fault.status(529));
    const { response, report } = await client.chat(hello);
    expect(response.choices[0]!.message.content).toBe('Hello from gem');
    expect(report.attempts.map((a) => [a.deployment, a.outcome, a.status, a.decision])).toEqual([
      ['ant/claude-sonnet', 'server_error', 529, 'failover'],
      ['gem/gemini-2.5-pro', 'success', undefined, 'done'],
    ]);
    expect(mock.ant.requests).toHaveLength(1);

    const stream = await client.chatStream(hello);
    expect(stream.deployment).toBe('gem/gemini-2.5-pro');
    expect((await collect(stream)).text).toBe('Hello from gem');
  });

  test('a group of three protocols: OpenAI down, Anthropic rate limited, Gemini answers', async () => {
    const { client, mock } = await start(['oai', 'ant', 'gem']);
    mock.oai.setDefault(fault.status(503));
    mock.ant.setDefault(fault.rateLimited({ retryAfterSeconds: 30 }));
    const { response, report } = await client.chat(hello);
    expect(response.choices[0]!.message.content).toBe('Hello from gem');
    expect(report.attempts.map((a) => [a.deployment, a.outcome, a.retryAfterMs])).toEqual([
      ['oai/gpt-4.1', 'server_error', undefined],
      ['ant/claude-sonnet', 'rate_limited', 30_000],
      ['gem/gemini-2.5-pro', 'success', undefined],
    ]);
  });

  test("Gemini's invalid key (a 400) fails over instead of failing the request", async () => {
    const { client, mock } = await start(['gem', 'ant']);
    mock.gem.setDefault(fault.unauthorized());
    const { response, report } = await client.chat(hello);
    expect(response.choices[0]!.message.content).toBe('Hello from ant');
    expect(report.attempts[0]).toMatchObject({ outcome: 'auth_error', status: 400, decision: 'failover' });
  });

  test("Gemini's RESOURCE_EXHAUSTED waits its RetryInfo delay on the same deployment", async () => {
    const { client, mock } = await start(['gem', 'ant'], { policy: { retries: 1, maxRetryAfterMs: 1000 } });
    mock.gem.script(fault.rateLimited({ retryAfterMs: 50 }));
    const { response, report } = await client.chat(hello);
    expect(response.choices[0]!.message.content).toBe('Hello from gem');
    expect(report.attempts.map((a) => [a.outcome, a.retryAfterMs, a.decision])).toEqual([
      ['rate_limited', 50, 'retry'],
      ['success', undefined, 'done'],
    ]);
  });

  test('a request Anthropic cannot express still goes to OpenAI first, and its 400 is the caller’s', async () => {
    const { client, mock } = await start(['oai', 'ant']);
    const wanted: ChatRequest = { ...hello, response_format: { type: 'json_object' } };
    expect((await client.chat(wanted)).report.deployment).toBe('oai/gpt-4.1');
    mock.oai.setDefault(fault.status(503));
    const error = await client.chat(wanted).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error).toMatchObject({ field: 'response_format', protocol: 'anthropic' });
    expect(mock.ant.requests).toHaveLength(0);
  });

  test('context length from Anthropic and Gemini is recognised (no failover to a same-size model)', async () => {
    const { client, mock } = await start(['ant', 'gem']);
    mock.ant.setDefault(fault.contextLength());
    const error = await client.chat(hello).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).attempts[0]).toMatchObject({ outcome: 'context_length', status: 400 });
  });

  test('stream_options.include_usage goes only to providers that accept it (streamUsage)', async () => {
    const mock = await MockProvider.start({ name: 'strict' });
    const client = new AiClient({
      providers: [
        { id: 'strict', baseUrl: mock.baseUrl, streamUsage: false },
        { id: 'open', baseUrl: mock.baseUrl },
      ],
      models: {
        strict: { deployments: [{ provider: 'strict', model: 'm' }] },
        open: { deployments: [{ provider: 'open', model: 'm' }] },
      },
    });
    try {
      const asked = { ...hello, stream_options: { include_usage: true } };
      await collect(await client.chatStream(asked, { model: 'strict' }));
      await collect(await client.chatStream(hello, { model: 'open' }));
      const [strict, open] = mock.requests.map((r) => r.body as Record<string, unknown>);
      expect(strict).not.toHaveProperty('stream_options');
      expect(open!.stream_options).toEqual({ include_usage: true });
    } finally {
      await client.close();
      await mock.close();
    }
  });
});
