import { fault } from './faults';
import { MockProvider } from './mock-provider';

/** A JSON answer as the tests walk it. */
// biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary JSON
type Json = Record<string, any>;

/** POSTs JSON with the given headers and returns status, headers and parsed body (or text). */
async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as Json, text };
}

const ANTHROPIC = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
const message = { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'Say hello' }] };
const contents = { contents: [{ role: 'user', parts: [{ text: 'Say hello' }] }] };

describe('MockProvider in the Anthropic and Gemini dialects', () => {
  let mock: MockProvider;
  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'm', apiKeys: ['k'] });
  });
  afterEach(() => {
    mock.reset();
  });
  afterAll(async () => {
    await mock.close();
  });

  test('Anthropic: a message, keyed by x-api-key, usage in input/output tokens', async () => {
    const res = await post(`${mock.anthropicBaseUrl}/messages`, message, ANTHROPIC);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude',
      content: [{ type: 'text', text: 'Hello from m' }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 3, output_tokens: 3, cache_read_input_tokens: 0 },
    });
    expect(mock.requests[0]).toMatchObject({ apiKey: 'k', model: 'claude', stream: false });
  });

  test('Anthropic: what the API requires is checked (version header, max_tokens)', async () => {
    const noVersion = await post(`${mock.anthropicBaseUrl}/messages`, message, { 'x-api-key': 'k' });
    expect(noVersion.status).toBe(400);
    expect(noVersion.json).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
    });
    const { max_tokens: _omitted, ...withoutMax } = message;
    expect((await post(`${mock.anthropicBaseUrl}/messages`, withoutMax, ANTHROPIC)).json.error.message).toBe(
      'max_tokens: Field required',
    );
  });

  test('Anthropic: the stream events, tool calls in input_json_delta pieces', async () => {
    mock.setDefault(fault.ok({ toolCalls: [{ name: 'f', arguments: { a: 1 } }] }));
    const res = await post(`${mock.anthropicBaseUrl}/messages`, { ...message, stream: true }, ANTHROPIC);
    const names = res.text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => e.split('\n')[0]);
    expect(names).toEqual([
      'event: message_start',
      'event: ping',
      'event: content_block_start',
      'event: content_block_delta',
      'event: content_block_delta',
      'event: content_block_stop',
      'event: message_delta',
      'event: message_stop',
    ]);
    const pieces = res.text
      .match(/"partial_json":"((?:[^"\\]|\\.)*)"/g)!
      .map((p) => JSON.parse(`{${p}}`).partial_json);
    expect(JSON.parse(pieces.join(''))).toEqual({ a: 1 });
  });

  test('Anthropic errors: 529 overloaded_error, 429 with retry-after and the limit reset, invalid key', async () => {
    mock.script(fault.status(529), fault.rateLimited({ retryAfterSeconds: 2 }));
    const overloaded = await post(`${mock.anthropicBaseUrl}/messages`, message, ANTHROPIC);
    expect(overloaded.status).toBe(529);
    expect(overloaded.json).toEqual({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    const limited = await post(`${mock.anthropicBaseUrl}/messages`, message, ANTHROPIC);
    expect(limited.status).toBe(429);
    expect(limited.json.error.type).toBe('rate_limit_error');
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    const badKey = await post(`${mock.anthropicBaseUrl}/messages`, message, {
      ...ANTHROPIC,
      'x-api-key': 'nope',
    });
    expect(badKey.status).toBe(401);
    expect(badKey.json.error.type).toBe('authentication_error');
  });

  test('Gemini: generateContent keyed by x-goog-api-key, the model from the path', async () => {
    const res = await post(`${mock.geminiBaseUrl}/models/gemini-pro:generateContent`, contents, {
      'x-goog-api-key': 'k',
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Hello from m' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 3, totalTokenCount: 6 },
      modelVersion: 'gemini-pro',
    });
    expect(mock.requests[0]).toMatchObject({ apiKey: 'k', model: 'gemini-pro', stream: false });
  });

  test('Gemini: streamGenerateContent?alt=sse sends one response per word, the last with finishReason', async () => {
    mock.setDefault(fault.ok({ reasoning: 'Think.' }));
    const res = await post(
      `${mock.geminiBaseUrl}/models/gemini-pro:streamGenerateContent?alt=sse`,
      contents,
      {
        'x-goog-api-key': 'k',
      },
    );
    const events = res.text
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.slice('data: '.length)));
    expect(events.map((e) => e.candidates[0].content.parts[0])).toEqual([
      { text: 'Think.', thought: true },
      { text: 'Hello' },
      { text: ' from' },
      { text: ' m' },
    ]);
    expect(events.map((e) => e.candidates[0].finishReason ?? null)).toEqual([null, null, null, 'STOP']);
    expect(mock.requests[0]!.stream).toBe(true);
  });

  test('Gemini errors: RESOURCE_EXHAUSTED with RetryInfo, UNAVAILABLE, an invalid key as a 400', async () => {
    mock.script(fault.rateLimited({ retryAfterSeconds: 3 }), fault.status(503));
    const url = `${mock.geminiBaseUrl}/models/g:generateContent`;
    const limited = await post(url, contents, { 'x-goog-api-key': 'k' });
    expect(limited.status).toBe(429);
    expect(limited.json.error).toMatchObject({
      code: 429,
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
    });
    expect((await post(url, contents, { 'x-goog-api-key': 'k' })).json.error.status).toBe('UNAVAILABLE');
    const badKey = await post(url, contents, { 'x-goog-api-key': 'nope' });
    expect(badKey.status).toBe(400);
    expect(badKey.json.error.details[0].reason).toBe('API_KEY_INVALID');
  });

  test('each API lists its models', async () => {
    const geminiList = await fetch(`${mock.geminiBaseUrl}/models`, { headers: { 'x-goog-api-key': 'k' } });
    const gemini = (await geminiList.json()) as Json;
    expect(gemini.models[0]).toMatchObject({ name: 'models/mock-model' });
    const anthropic = (await (
      await fetch(`${mock.anthropicBaseUrl}/models`, { headers: ANTHROPIC })
    ).json()) as Json;
    expect(anthropic.data[0]).toMatchObject({ type: 'model', id: 'mock-model' });
  });
});
