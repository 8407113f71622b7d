/**
 * The routes over native Anthropic and Gemini deployments, and the Responses API, as real clients
 * see them: the official `openai` client, the Vercel AI SDK's default OpenAI provider (Responses
 * API) and LangChain's ChatOpenAI with `useResponsesApi`, all against an Express app on 127.0.0.1.
 */
import type { AiFailoverConfig } from '@ai-failover/core';
import { aiFailover } from '@ai-failover/express';
import { fault, type Listening, listen, MockProvider } from '@ai-failover/testing';
import { APP_TOKEN, post } from '@ai-failover/testing/support';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import express from 'express';
import express4 from 'express4';
import OpenAI, { APIError } from 'openai';

const ARGS = { city: 'Paris', note: 'a "quoted" ünïcode value' };
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, note: { type: 'string' } } },
  },
};

interface Env {
  ant: MockProvider;
  gem: MockProvider;
  oai: MockProvider;
  app: Listening;
  openai: OpenAI;
  /** `METHOD path` of every request the app received. */
  paths: string[];
  close(): Promise<void>;
}

/**
 * Mocks speaking Anthropic, Gemini and OpenAI, and an app whose groups are `claude` (Anthropic,
 * then Gemini), `gemini` (Gemini, then OpenAI) and `gpt` (OpenAI, then Anthropic).
 */
async function start(createApp: () => express.Express = express): Promise<Env> {
  const [ant, gem, oai] = await Promise.all(
    ['ant', 'gem', 'oai'].map((name) => MockProvider.start({ name, apiKeys: [`key-${name}`] })),
  );
  const config: AiFailoverConfig = {
    providers: [
      { id: 'ant', baseUrl: ant!.anthropicBaseUrl, apiKey: 'key-ant', protocol: 'anthropic' },
      { id: 'gem', baseUrl: gem!.geminiBaseUrl, apiKey: 'key-gem', protocol: 'gemini' },
      { id: 'oai', baseUrl: oai!.baseUrl, apiKey: 'key-oai' },
    ],
    models: {
      claude: {
        deployments: [
          { provider: 'ant', model: 'claude-sonnet-4-5' },
          { provider: 'gem', model: 'gemini-2.5-pro' },
        ],
      },
      gemini: {
        deployments: [
          { provider: 'gem', model: 'gemini-2.5-pro' },
          { provider: 'oai', model: 'gpt-4.1' },
        ],
      },
      gpt: {
        deployments: [
          { provider: 'oai', model: 'gpt-4.1' },
          { provider: 'ant', model: 'claude-sonnet-4-5' },
        ],
      },
    },
    policy: { retries: 0, backoff: { baseMs: 1, maxMs: 5 } },
  };
  const web = createApp();
  const paths: string[] = [];
  web.use((req, _res, next) => {
    paths.push(`${req.method} ${req.path}`);
    next();
  });
  web.use(
    aiFailover(config, {
      openai: { authorize: (req) => req.headers.authorization === `Bearer ${APP_TOKEN}` },
    }),
  );
  const app = await listen(web);
  const openai = new OpenAI({ baseURL: `${app.base}/v1`, apiKey: APP_TOKEN, maxRetries: 0 });
  return {
    ant: ant!,
    gem: gem!,
    oai: oai!,
    app,
    openai,
    paths,
    async close() {
      await app.close();
      await Promise.all([ant!.close(), gem!.close(), oai!.close()]);
    },
  };
}

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

describe.each([
  ['claude', 'ant', 'claude-sonnet-4-5'],
  ['gemini', 'gem', 'gemini-2.5-pro'],
] as const)('the official openai client, group %s served natively', (group, name, model) => {
  test('chat, streaming and tool calls: text and arguments intact', async () => {
    env = await start();
    const { openai } = env;
    const mock = env[name];

    const { data, response } = await openai.chat.completions
      .create({ model: group, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe(`Hello from ${name}`);
    expect(response.headers.get('x-ai-failover-deployment')).toBe(`${name}/${model}`);

    const stream = await openai.chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(`Hello from ${name}`);

    mock.setDefault(fault.ok({ toolCalls: [{ name: 'get_weather', arguments: ARGS }] }));
    const called = await openai.chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const call = called.choices[0]!.message.tool_calls![0]!;
    expect(called.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual(ARGS);

    const streamed = await openai.chat.completions.create({
      model: group,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      stream: true,
    });
    let args = '';
    let callName = '';
    for await (const chunk of streamed) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        callName += delta.function?.name ?? '';
        args += delta.function?.arguments ?? '';
      }
    }
    expect(callName).toBe('get_weather');
    expect(JSON.parse(args)).toEqual(ARGS);
  });
});

describe('failover and cuts over native deployments', () => {
  test('a 529 from the Anthropic deployment fails over to the Gemini one', async () => {
    env = await start();
    env.ant.setDefault(fault.status(529));
    const { data, response } = await env.openai.chat.completions
      .create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from gem');
    expect(response.headers.get('x-ai-failover-trace')).toMatch(
      /^ant\/claude-sonnet-4-5;outcome=server_error;status=529;ms=\d+, gem\/gemini-2\.5-pro;outcome=success;ms=\d+$/,
    );
  });

  test('an Anthropic stream cut after content ends in an SSE error event; cut before content, Gemini serves', async () => {
    env = await start();
    // message_start, ping, content_block_start, "Hello", then the connection drops.
    env.ant.setDefault(fault.resetMidStream(4));
    const res = await post(`${env.app.base}/v1/chat/completions`, {
      model: 'claude',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.status).toBe(200);
    const raw = await res.text();
    expect(raw).toContain('"content":"Hello"');
    expect(raw).not.toContain('[DONE]');
    const last = raw.split('\n\n').filter(Boolean).at(-1)!;
    expect(last).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(last.split('\n')[1]!.slice('data: '.length)).error).toMatchObject({
      code: 'stream_interrupted',
    });
    expect(env.gem.requests).toHaveLength(0);

    const stream = await env.openai.chat.completions.create({
      model: 'claude',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const error = await (async () => {
      for await (const _chunk of stream) {
        // read until the error
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);

    // message_start and ping only: nothing reached the caller, so Gemini takes over.
    env.ant.setDefault(fault.resetMidStream(2));
    const served = await env.openai.chat.completions
      .create({ model: 'claude', stream: true, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(served.response.headers.get('x-ai-failover-deployment')).toBe('gem/gemini-2.5-pro');
    let text = '';
    for await (const chunk of served.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from gem');
  });
});

describe.each(['claude', 'gpt'] as const)('the Responses API over group %s', (group) => {
  const servedBy = group === 'claude' ? 'ant' : 'oai';

  test('the Vercel AI SDK default openai() provider: text, streaming and a tool call', async () => {
    env = await start();
    const provider = createOpenAI({ baseURL: `${env.app.base}/v1`, apiKey: APP_TOKEN });
    const model = provider(group);

    const generated = await generateText({ model, prompt: 'hi', maxRetries: 0 });
    expect(generated.text).toBe(`Hello from ${servedBy}`);
    expect(generated.usage.inputTokens).toBe(1);
    expect(generated.usage.outputTokens).toBe(3);
    expect(env[servedBy].requests[0]!.path).toBe(
      servedBy === 'ant' ? '/v1/messages' : '/v1/chat/completions',
    );

    const streamed = streamText({ model, prompt: 'hi', maxRetries: 0 });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    expect(text).toBe(`Hello from ${servedBy}`);
    expect(await streamed.finishReason).toBe('stop');

    env[servedBy].setDefault(fault.ok({ toolCalls: [{ name: 'get_weather', arguments: ARGS }] }));
    const tools = {
      get_weather: tool({
        description: 'Weather of a city',
        inputSchema: jsonSchema<{ city: string; note: string }>(weatherTool.function.parameters as never),
      }),
    };
    const called = await generateText({ model, prompt: 'Weather in Paris?', tools, maxRetries: 0 });
    expect(called.finishReason).toBe('tool-calls');
    expect(called.toolCalls).toHaveLength(1);
    expect(called.toolCalls[0]).toMatchObject({ toolName: 'get_weather', input: ARGS });

    const streamedCall = streamText({ model, prompt: 'Weather in Paris?', tools, maxRetries: 0 });
    const calls = await streamedCall.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ toolName: 'get_weather', input: ARGS });

    const sent = env[servedBy].requests.at(-1)!.body as Record<string, unknown>;
    expect(JSON.stringify(sent)).toContain('get_weather');
    expect(new Set(env.paths)).toEqual(new Set(['POST /v1/responses']));
  });

  test('LangChain ChatOpenAI with useResponsesApi: text, streaming and a tool call', async () => {
    env = await start();
    const chat = new ChatOpenAI({
      model: group,
      apiKey: APP_TOKEN,
      useResponsesApi: true,
      maxRetries: 0,
      configuration: { baseURL: `${env.app.base}/v1` },
    });

    const answer = await chat.invoke('hi');
    expect(answer.text).toBe(`Hello from ${servedBy}`);
    expect(answer.usage_metadata).toMatchObject({ input_tokens: 1, output_tokens: 3 });

    let text = '';
    for await (const chunk of await chat.stream('hi')) text += chunk.text;
    expect(text).toBe(`Hello from ${servedBy}`);

    env[servedBy].setDefault(fault.ok({ toolCalls: [{ name: 'get_weather', arguments: ARGS }] }));
    const withTools = chat.bindTools([weatherTool]);
    const called = await withTools.invoke('Weather in Paris?');
    expect(called.tool_calls).toHaveLength(1);
    expect(called.tool_calls![0]).toMatchObject({ name: 'get_weather', args: ARGS });

    let streamedCall: Awaited<ReturnType<typeof withTools.invoke>> | undefined;
    for await (const chunk of await withTools.stream('Weather in Paris?')) {
      streamedCall = streamedCall ? streamedCall.concat(chunk) : chunk;
    }
    expect(streamedCall!.tool_calls).toHaveLength(1);
    expect(streamedCall!.tool_calls![0]).toMatchObject({ name: 'get_weather', args: ARGS });
    expect(new Set(env.paths)).toEqual(new Set(['POST /v1/responses']));
  });
});

describe('the Responses route', () => {
  test('the official client: a response object, and the stream events in order', async () => {
    env = await start();
    const response = await env.openai.responses.create({
      model: 'gemini',
      instructions: 'Be brief.',
      input: 'hi',
      max_output_tokens: 20,
    });
    expect(response).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'gemini-2.5-pro',
      output: [
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello from gem' }] },
      ],
      usage: { input_tokens: 3, output_tokens: 3, total_tokens: 6 },
    });
    expect(response.output_text).toBe('Hello from gem');
    expect(env.gem.requests[0]!.body).toMatchObject({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generationConfig: { maxOutputTokens: 20 },
    });

    const stream = await env.openai.responses.create({ model: 'gemini', input: 'hi', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(text).toBe('Hello from gem');
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
  });

  test('a function call output goes back as a tool result', async () => {
    env = await start();
    await env.openai.responses.create({
      model: 'claude',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: JSON.stringify(ARGS) },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
      tools: [
        { type: 'function', name: 'get_weather', parameters: weatherTool.function.parameters, strict: false },
      ],
    });
    expect((env.ant.requests[0]!.body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: ARGS }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' }] },
    ]);
  });

  test('a stream cut after content ends with error and response.failed events', async () => {
    env = await start();
    env.ant.setDefault(fault.resetMidStream(4));
    const res = await post(`${env.app.base}/v1/responses`, { model: 'claude', input: 'hi', stream: true });
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.slice(-2).map((e) => e.split('\n')[0])).toEqual(['event: error', 'event: response.failed']);
    const failed = JSON.parse(events.at(-1)!.split('\n')[1]!.slice('data: '.length));
    expect(failed.response).toMatchObject({ status: 'failed', error: { code: 'stream_interrupted' } });
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['previous_response_id', { previous_response_id: 'resp_1' }, 'previous_response_id'],
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0]'],
    ['background', { background: true }, 'background'],
  ])('%s answers a 400 naming it', async (_name, extra, param) => {
    env = await start();
    const res = await post(`${env.app.base}/v1/responses`, { model: 'gpt', input: 'hi', ...extra });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      type: 'invalid_request_error',
      param,
    });
    expect(env.oai.requests).toHaveLength(0);
  });

  test('a feature the deployment protocol cannot express answers a 400 naming the field', async () => {
    env = await start();
    const res = await post(`${env.app.base}/v1/chat/completions`, {
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      logprobs: true,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      type: 'invalid_request_error',
      param: 'logprobs',
    });
  });
});

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s: unknown paths under the prefix', (_name, createApp) => {
  test('answer a 404 in the OpenAI error shape, whatever the method; other paths are left alone', async () => {
    env = await start(createApp as () => express.Express);
    for (const [method, path] of [
      ['POST', '/v1/assistants'],
      ['GET', '/v1/responses/resp_1'],
      ['DELETE', '/v1/models/gpt'],
      ['GET', '/v1'],
    ] as const) {
      const res = await fetch(`${env.app.base}${path}`, {
        method,
        headers: { authorization: `Bearer ${APP_TOKEN}` },
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({
        type: 'invalid_request_error',
        code: 'unknown_url',
      });
    }
    const outside = await fetch(`${env.app.base}/v2/chat/completions`, { method: 'POST' });
    expect(outside.status).toBe(404);
    expect(outside.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
