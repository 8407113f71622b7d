import type { AddressInfo } from 'node:net';
import type { LoadedConfig } from '@ai-failover/example-shared';
import { fault } from '@ai-failover/testing';
import { createApp, type ExampleApp } from './app';

interface SseEvent {
  event: string;
  data: unknown;
}

interface ChatAnswer {
  answer: string;
  servedBy: string;
  attempts: Array<{ deployment: string; outcome: string; status: number | null }>;
  costUsd: number | null;
}

interface DeploymentHealth {
  id: string;
  status: string;
  samples: number;
  consecutiveFailures: number;
  lastError: string | null;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice('event: '.length);
        else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
      }
      return { event, data: JSON.parse(data.join('\n')) as unknown };
    });
}

describe('nestjs example, offline', () => {
  let loaded: LoadedConfig;
  let example: ExampleApp;
  let base: string;

  const postChat = (message: unknown) =>
    fetch(`${base}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });

  beforeEach(async () => {
    example = await createApp({ env: {}, logger: false });
    loaded = example.loaded;
    await example.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(example.app.getHttpServer().address() as AddressInfo).port}`;
  });

  // Closes the HTTP server, then (shutdown hooks of the modules) the client and the mock providers.
  afterEach(() => example.app.close());

  it('runs on two mock providers', () => {
    expect(loaded.mode).toBe('offline');
    expect(loaded.mocks.map((mock) => mock.name)).toEqual(['primary', 'secondary']);
  });

  it('answers POST /chat from the primary', async () => {
    const res = await postChat('What is a circuit breaker?');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatAnswer;
    expect(body.answer).toContain('offline mock provider');
    expect(body.servedBy).toBe('primary/gpt-4.1-mini');
    expect(body.attempts).toEqual([
      expect.objectContaining({ deployment: 'primary/gpt-4.1-mini', outcome: 'success' }),
    ]);
    expect(body.costUsd).toBeGreaterThan(0);
    expect(loaded.mocks[0]!.requests).toHaveLength(1);
  });

  it('refuses a missing message with a 400', async () => {
    const res = await postChat('');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'INVALID_MESSAGE', message: '"message" must be a non-empty string' },
    });
  });

  it('fails over to the secondary when the primary answers 503, and /health shows it', async () => {
    loaded.mocks[0]!.setDefault(fault.status(503));
    const res = await postChat('Still there?');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ChatAnswer;
    expect(body.servedBy).toBe('secondary/gpt-4.1-mini');
    expect(body.attempts[0]).toEqual(
      expect.objectContaining({ deployment: 'primary/gpt-4.1-mini', outcome: 'server_error', status: 503 }),
    );
    expect(body.attempts.at(-1)).toEqual(
      expect.objectContaining({ deployment: 'secondary/gpt-4.1-mini', outcome: 'success' }),
    );

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    const report = (await health.json()) as { deployments: DeploymentHealth[] };
    const byId = new Map(report.deployments.map((deployment) => [deployment.id, deployment]));
    expect(byId.get('primary/gpt-4.1-mini')).toEqual(
      expect.objectContaining({
        consecutiveFailures: body.attempts.length - 1,
        lastError: expect.any(String),
      }),
    );
    expect(byId.get('secondary/gpt-4.1-mini')).toEqual(
      expect.objectContaining({ status: 'healthy', samples: 1, consecutiveFailures: 0 }),
    );
  });

  it('answers 503 as JSON when every provider is down', async () => {
    for (const mock of loaded.mocks) mock.setDefault(fault.status(503));
    const res = await postChat('Anyone?');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual(
      expect.objectContaining({
        statusCode: 503,
        code: 'AI_ALL_ATTEMPTS_FAILED',
        attempts: expect.any(Array),
      }),
    );
  });

  it('streams GET /chat/stream as server-sent events, with a done event at the end', async () => {
    const res = await fetch(`${base}/chat/stream?message=${encodeURIComponent('Tell me more')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    const deltas = events
      .filter((e) => e.event === 'message')
      .map((e) => (e.data as { delta: string }).delta);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toContain('offline mock provider');
    const last = events.at(-1)!;
    expect(last.event).toBe('done');
    expect(last.data).toEqual(
      expect.objectContaining({
        servedBy: 'primary/gpt-4.1-mini',
        failovers: 0,
        costUsd: expect.any(Number),
      }),
    );
  });

  it('refuses GET /chat/stream without a message with a 400, before any event', async () => {
    const res = await fetch(`${base}/chat/stream`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'INVALID_MESSAGE', message: '"message" must be a non-empty string' },
    });
  });

  it('ends the stream with an error event when no provider can start it', async () => {
    for (const mock of loaded.mocks) mock.setDefault(fault.status(503));
    const res = await fetch(`${base}/chat/stream?message=hi`);
    expect(res.status).toBe(200);
    const events = parseSse(await res.text());
    expect(events).toEqual([
      { event: 'error', data: expect.objectContaining({ code: 'AI_ALL_ATTEMPTS_FAILED' }) },
    ]);
  });

  it('closes the mock providers with the app', async () => {
    const [primary] = loaded.mocks;
    await example.app.close();
    await expect(fetch(primary!.baseUrl.replace(/\/v1$/, '/v1/models'))).rejects.toThrow();
  });

  it('stops the upstream stream when the browser goes away', async () => {
    loaded.mocks[0]!.setDefault(fault.ok({ chunkDelayMs: 200 }));
    const controller = new AbortController();
    const res = await fetch(`${base}/chat/stream?message=hi`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    while (!received.includes('data: ')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += decoder.decode(value, { stream: true });
    }
    expect(received).toContain('data: {"delta":');
    controller.abort();
    const aborted = await loaded.mocks[0]!.waitForAbort();
    expect(aborted.stream).toBe(true);
  });

  it('serves the health probes', async () => {
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual(expect.objectContaining({ ready: true }));
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('serves the OpenAI-compatible routes to holders of APP_TOKEN', async () => {
    const request = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    };
    expect((await fetch(`${base}/v1/chat/completions`, request)).status).toBe(401);
    // The app was created with an empty environment: the token is the default one.
    const authorized = { ...request.headers, authorization: 'Bearer dev-token' };
    const res = await fetch(`${base}/v1/chat/completions`, { ...request, headers: authorized });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ai-failover-deployment')).toBe('primary/gpt-4.1-mini');

    // A long conversation fits: the JSON body parser takes up to 1 MiB, like the routes.
    const long = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'x'.repeat(300_000) }],
    });
    const big = await fetch(`${base}/v1/chat/completions`, { ...request, headers: authorized, body: long });
    expect(big.status).toBe(200);
  });
});
