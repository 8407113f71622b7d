import { chatBody, postJson, readSse } from './__tests__/client';
import {
  type ChatCompletionJson,
  type EmbeddingsJson,
  type ErrorJson,
  type ModelJson,
  readJson,
} from './__tests__/shapes';
import { MockProvider } from './mock-provider';

describe('MockProvider responses', () => {
  let mock: MockProvider;

  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'primary', models: ['gpt-a', 'gpt-b'] });
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  it('listens on 127.0.0.1 with an OpenAI base URL', () => {
    expect(mock.port).toBeGreaterThan(0);
    expect(mock.baseUrl).toBe(`http://127.0.0.1:${mock.port}/v1`);
  });

  it('answers a chat completion like the OpenAI API, echoing the model', async () => {
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What time is it?' }] },
    ];
    const res = await postJson(`${mock.baseUrl}/chat/completions`, { model: 'gpt-b', messages });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-mock-provider')).toBe('primary');
    const body = await readJson<ChatCompletionJson>(res);
    expect(body).toEqual({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'gpt-b',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: 'Hello from primary', refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
      system_fingerprint: expect.any(String),
    });
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(5);
  });

  it('streams one chunk per word, then stop, then [DONE], without usage unless asked', async () => {
    const res = await postJson(`${mock.baseUrl}/chat/completions`, chatBody({ stream: true }));
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { events, error } = await readSse(res);
    expect(error).toBeUndefined();
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks).toHaveLength(5);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: 'gpt-test' });
      expect(chunk).not.toHaveProperty('usage');
    }
    expect(chunks[0].choices[0]).toEqual({
      index: 0,
      delta: { role: 'assistant', content: '' },
      logprobs: null,
      finish_reason: null,
    });
    expect(chunks.slice(1, 4).map((chunk) => chunk.choices[0].delta.content)).toEqual([
      'Hello',
      ' from',
      ' primary',
    ]);
    expect(chunks[4].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
  });

  it('adds a usage chunk and usage: null on the others with stream_options.include_usage', async () => {
    const res = await postJson(
      `${mock.baseUrl}/chat/completions`,
      chatBody({ stream: true, stream_options: { include_usage: true } }),
    );
    const { events } = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event));
    expect(chunks).toHaveLength(6);
    for (const chunk of chunks.slice(0, 5)) expect(chunk.usage).toBeNull();
    expect(chunks[5].choices).toEqual([]);
    expect(chunks[5].usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Hello from primary');
  });

  it('keeps every space of the content across the stream chunks', async () => {
    const content = '  Spaced   out\ttext \n';
    mock.setDefault({ type: 'ok', content });
    const { events } = await readSse(
      await postJson(`${mock.baseUrl}/chat/completions`, chatBody({ stream: true })),
    );
    const deltas = events.slice(1, -2).map((event) => JSON.parse(event).choices[0].delta.content);
    expect(deltas.join('')).toBe(content);
    expect(deltas).toHaveLength(3);
  });

  it('takes the reply text and usage overrides of fault.ok()', async () => {
    mock.script(
      { type: 'ok', content: 'Custom reply here', usage: { prompt_tokens: 100 } },
      { type: 'ok', content: 'Streamed custom', usage: { completion_tokens: 9, total_tokens: 50 } },
    );
    const body = await readJson<ChatCompletionJson>(
      await postJson(`${mock.baseUrl}/chat/completions`, chatBody()),
    );
    expect(body.choices[0]!.message.content).toBe('Custom reply here');
    expect(body.usage).toEqual({ prompt_tokens: 100, completion_tokens: 3, total_tokens: 103 });
    const { events } = await readSse(
      await postJson(
        `${mock.baseUrl}/chat/completions`,
        chatBody({ stream: true, stream_options: { include_usage: true } }),
      ),
    );
    expect(JSON.parse(events.at(-2)!).usage).toEqual({
      prompt_tokens: 3,
      completion_tokens: 9,
      total_tokens: 50,
    });
  });

  it('answers embeddings for a string and for a list, deterministically', async () => {
    const one = await readJson<EmbeddingsJson>(
      await postJson(`${mock.baseUrl}/embeddings`, { model: 'emb', input: 'hello world' }),
    );
    expect(one).toMatchObject({ object: 'list', model: 'emb', usage: { prompt_tokens: 3, total_tokens: 3 } });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(one.data[0].embedding).toHaveLength(8);
    const norm = Math.hypot(...one.data[0].embedding);
    expect(norm).toBeCloseTo(1, 5);

    const many = await readJson<EmbeddingsJson>(
      await postJson(`${mock.baseUrl}/embeddings`, {
        model: 'emb',
        input: ['hello world', 'other'],
        dimensions: 4,
      }),
    );
    expect(many.data.map((item) => item.index)).toEqual([0, 1]);
    expect(many.data[0].embedding).toHaveLength(4);
    expect(many.data[0].embedding).not.toEqual(many.data[1].embedding);
    expect(many.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });

    const again = await readJson<EmbeddingsJson>(
      await postJson(`${mock.baseUrl}/embeddings`, { model: 'emb', input: 'hello world' }),
    );
    expect(again.data[0].embedding).toEqual(one.data[0].embedding);
  });

  it('encodes embeddings as little-endian float32 base64 when asked', async () => {
    const float = await readJson<EmbeddingsJson>(
      await postJson(`${mock.baseUrl}/embeddings`, { model: 'emb', input: 'x' }),
    );
    const encoded = await readJson<EmbeddingsJson<string>>(
      await postJson(`${mock.baseUrl}/embeddings`, { model: 'emb', input: 'x', encoding_format: 'base64' }),
    );
    const bytes = Buffer.from(encoded.data[0].embedding, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    expect(decoded).toEqual(float.data[0].embedding);
  });

  it('lists the configured models', async () => {
    const res = await fetch(`${mock.baseUrl}/models`);
    expect(await readJson<unknown>(res)).toEqual({
      object: 'list',
      data: [
        { id: 'gpt-a', object: 'model', created: expect.any(Number), owned_by: 'primary' },
        { id: 'gpt-b', object: 'model', created: expect.any(Number), owned_by: 'primary' },
      ],
    });
    expect((await readJson<ModelJson>(await fetch(`${mock.baseUrl}/models/gpt-a`))).id).toBe('gpt-a');
    const missing = await fetch(`${mock.baseUrl}/models/nope`);
    expect(missing.status).toBe(404);
    expect((await readJson<ErrorJson>(missing)).error.code).toBe('model_not_found');
  });

  it('answers an unknown path with an OpenAI-shaped 404', async () => {
    const res = await postJson(`${mock.baseUrl}/completions/legacy`, {});
    expect(res.status).toBe(404);
    expect(await readJson<ErrorJson>(res)).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/completions/legacy)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  });

  it('answers a body that is not JSON with an OpenAI-shaped 400', async () => {
    const res = await fetch(`${mock.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": ',
    });
    expect(res.status).toBe(400);
    const body = await readJson<ErrorJson>(res);
    expect(body.error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
    expect(body.error.message).toMatch(/could not parse the JSON body/);
    expect(mock.requests[0]).toMatchObject({ body: '{"model": ', status: 400 });
  });
});

describe('MockProvider with apiKeys', () => {
  it('answers 401 invalid_api_key unless the bearer key is one of them', async () => {
    const mock = await MockProvider.start({ apiKeys: ['sk-good-0001'] });
    try {
      const url = `${mock.baseUrl}/chat/completions`;
      const wrong = await postJson(url, chatBody(), { headers: { authorization: 'Bearer sk-wrong-123456' } });
      expect(wrong.status).toBe(401);
      const body = await readJson<ErrorJson>(wrong);
      expect(body.error).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_api_key',
        param: null,
      });
      expect(body.error.message).toMatch(/^Incorrect API key provided: sk-\*\*\*3456/);

      const none = await fetch(url, { method: 'POST', body: JSON.stringify(chatBody()) });
      expect(none.status).toBe(401);
      expect((await readJson<ErrorJson>(none)).error.message).toMatch(/didn't provide an API key/);

      const good = await postJson(url, chatBody(), { headers: { authorization: 'Bearer sk-good-0001' } });
      expect(good.status).toBe(200);
      expect(mock.requests.map((r) => [r.apiKey, r.status, r.fault])).toEqual([
        ['sk-wrong-123456', 401, 'unauthorized'],
        [undefined, 401, 'unauthorized'],
        ['sk-good-0001', 200, 'ok'],
      ]);
    } finally {
      await mock.close();
    }
  });
});
