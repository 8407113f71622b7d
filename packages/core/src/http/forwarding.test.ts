import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AiClient } from '../client';
import { textOf } from '../engine/answer-text';
import type { AiFailoverConfig } from '../types';
import { type AiHttpHandler, createAiHttpHandler } from './handler';

// An upstream whose answers are spaced and ordered as no JSON.stringify would write them.
const ANSWER =
  '{ "id" : "chatcmpl-1", "object":"chat.completion", "model":"m", "extra" : [1, 2], ' +
  '"choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}], ' +
  '"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6} }';
const CHUNKS = [
  '{"id":"c1", "object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}',
  '{"id":"c1", "object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}',
  '{"id":"c1", "object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" there"}}]}',
  '{"id":"c1", "object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"!"}}]}',
  '{"id":"c1", "object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
  '{"id":"c1", "object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}}',
];

let servers: Server[] = [];
let handler: AiHttpHandler | undefined;
let client: AiClient | undefined;

afterEach(async () => {
  await handler?.close();
  await client?.close();
  handler = undefined;
  client = undefined;
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  servers = [];
});

async function listen(serve: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(serve);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function upstream(): Promise<AiFailoverConfig> {
  const base = await listen(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString()) as { stream?: boolean };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
      return;
    }
    // Every event in one write: they reach the route in one read.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${CHUNKS.map((c) => `data: ${c}\n\n`).join('')}data: [DONE]\n\n`);
  });
  return {
    providers: [{ id: 'up', baseUrl: `${base}/v1`, apiKey: 'key-up-secret-0001' }],
    models: { m: { deployments: [{ provider: 'up', model: 'm' }] } },
    policy: { retries: 0 },
  };
}

/** The routes on node:http; counts the body writes of each response. */
async function routes(config: AiFailoverConfig): Promise<{ base: string; writes: number[] }> {
  client = new AiClient(config);
  const http = createAiHttpHandler({ client, openai: { authorize: () => true } });
  handler = http;
  const writes: number[] = [];
  const base = await listen((req, res) => {
    const at = writes.push(0) - 1;
    const write = res.write;
    res.write = function (this: ServerResponse, ...args: unknown[]) {
      writes[at]!++;
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof res.write;
    void http.handle(req, res);
  });
  return { base, writes };
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const hello = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('the routes forward the upstream bytes', () => {
  test('a JSON answer is sent as the upstream wrote it, and its usage is still counted', async () => {
    const { base } = await routes(await upstream());
    const res = await post(`${base}/v1/chat/completions`, hello);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-ai-failover-deployment')).toBe('up/m');
    expect(await res.text()).toBe(ANSWER);
    expect(client!.usage().total).toMatchObject({ promptTokens: 4, completionTokens: 2 });
  });

  test('a stream sends each chunk as the upstream wrote it, the events of a tick in one write', async () => {
    const { base, writes } = await routes(await upstream());
    const res = await post(`${base}/v1/chat/completions`, { ...hello, stream: true });
    const text = await res.text();
    const data = text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    // The usage chunk was not asked for: it is counted, not sent.
    expect(data).toEqual([...CHUNKS.slice(0, 5), '[DONE]']);
    expect(client!.usage().total).toMatchObject({ completionTokens: 3 });
    // Six events (five chunks and [DONE]) read at once leave together (here all with the end),
    // not in a write each.
    expect(writes[0]).toBeLessThanOrEqual(1);
  });

  test('an in-process call keeps no upstream text (an app holding answers holds each once)', async () => {
    client = new AiClient(await upstream());
    const { response } = await client.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(response.choices[0]?.message.content).toBe('Hi there');
    expect(textOf(response)).toBeUndefined();
    const stream = await client.chatStream({ messages: [{ role: 'user', content: 'hi' }] });
    for await (const chunk of stream) expect(textOf(chunk)).toBeUndefined();
  });
});
