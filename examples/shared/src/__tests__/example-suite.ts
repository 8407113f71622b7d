/**
 * The scenarios every example app (Express, Koa, NestJS) passes, written once: each example's
 * `app.test.ts` calls {@link describeExampleApp} with its own boot function.
 *
 * Test code: it uses the jest globals, is left out of the package build (`tsconfig.json`) and out of
 * its index; the tests import it by relative path.
 */
import type { RequestListener } from 'node:http';
import type { AiFailoverConfig } from '@ai-failover/core';
import { fault, listen } from '@ai-failover/testing';
import { type LoadedConfig, loadConfig } from '../config';

/** An example app listening on an ephemeral port, on the offline mock providers. */
export interface BootedExample {
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** The config the app was built from; `loaded.mocks` are the mock providers, primary first. */
  loaded: LoadedConfig;
  /** The bearer token the app's OpenAI-compatible routes accept. */
  appToken: string;
  /** Closes the server, the client and the mock providers. */
  close(): Promise<void>;
}

export type BootExample = () => Promise<BootedExample>;

/**
 * The boot function of an app served by a plain `node:http` listener (Express, Koa): `build` makes the app
 * (its request listener and its ai-failover middleware) from the offline config.
 */
export function bootListener(
  build: (config: AiFailoverConfig) => { listener: RequestListener; ai: { close(): Promise<void> } },
): BootExample {
  return async () => {
    const loaded = await loadConfig({});
    const { listener, ai } = build(loaded.config);
    const server = await listen(listener);
    return {
      base: server.base,
      loaded,
      // The app reads APP_TOKEN from process.env, whatever env the config was loaded from.
      appToken: process.env.APP_TOKEN ?? 'dev-token',
      close: async () => {
        await server.close();
        await ai.close();
        await Promise.all(loaded.mocks.map((mock) => mock.close()));
      },
    };
  };
}

/** Where the examples differ: how they tell that no provider could answer a stream. */
export interface ExampleSuiteOptions {
  /**
   * How `GET /chat/stream` tells that no provider could start the stream: a 503 with the JSON
   * error body (`'json-503'`, the default), or a 200 stream of a single `error` event (`'error-event'`).
   */
  streamStartFailure?: 'json-503' | 'error-event';
}

/** A server-sent event; `data` is parsed JSON. */
interface SseEvent {
  event: string;
  data: unknown;
}

interface ChatAnswer {
  answer: string;
  deployment: string;
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

/**
 * Boots the app before each test of the enclosing `describe` and closes it after; returns the app
 * of the running test.
 */
export function useExample(boot: BootExample): () => BootedExample {
  let booted: BootedExample | undefined;
  beforeEach(async () => {
    booted = await boot();
  });
  afterEach(async () => {
    await booted?.close();
    booted = undefined;
  });
  return () => {
    if (!booted) throw new Error('the example app runs only during a test');
    return booted;
  };
}

/** `describe('<name> example, offline')` with the scenarios every example passes. */
export function describeExampleApp(name: string, boot: BootExample, options: ExampleSuiteOptions = {}): void {
  // One error body everywhere: the routes', the handlers' and filter's, and SSE error events'.
  const allFailedBody = {
    error: {
      message: 'No AI provider could answer the request',
      type: 'api_error',
      param: null,
      code: 'all_attempts_failed',
    },
  };

  describe(`${name} example, offline`, () => {
    const example = useExample(boot);

    const postChat = (message: unknown) =>
      fetch(`${example().base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message }),
      });

    it('runs on two mock providers', () => {
      const { loaded } = example();
      expect(loaded.mode).toBe('offline');
      expect(loaded.mocks.map((mock) => mock.name)).toEqual(['primary', 'secondary']);
    });

    it('answers POST /chat from the primary', async () => {
      const { loaded } = example();
      const res = await postChat('What is a circuit breaker?');
      expect(res.status).toBe(200);
      const body = (await res.json()) as ChatAnswer;
      expect(body.answer).toContain('offline mock provider');
      expect(body.deployment).toBe('primary/gpt-4.1-mini');
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
      const { base, loaded, appToken } = example();
      loaded.mocks[0]!.setDefault(fault.status(503));
      const res = await postChat('Still there?');
      expect(res.status).toBe(200);
      const body = (await res.json()) as ChatAnswer;
      expect(body.deployment).toBe('secondary/gpt-4.1-mini');
      expect(body.attempts[0]).toEqual(
        expect.objectContaining({ deployment: 'primary/gpt-4.1-mini', outcome: 'server_error', status: 503 }),
      );
      expect(body.attempts.at(-1)).toEqual(
        expect.objectContaining({ deployment: 'secondary/gpt-4.1-mini', outcome: 'success' }),
      );

      expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: 'healthy' });
      const health = await fetch(`${base}/health`, { headers: { authorization: `Bearer ${appToken}` } });
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
      for (const mock of example().loaded.mocks) mock.setDefault(fault.status(503));
      const res = await postChat('Anyone?');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual(allFailedBody);
    });

    it('streams GET /chat/stream as server-sent events, with a done event at the end', async () => {
      const res = await fetch(`${example().base}/chat/stream?message=${encodeURIComponent('Tell me more')}`);
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
          deployment: 'primary/gpt-4.1-mini',
          failovers: 0,
          costUsd: expect.any(Number),
        }),
      );
    });

    it('refuses GET /chat/stream without a message with a 400, before any event', async () => {
      const res = await fetch(`${example().base}/chat/stream`);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: { code: 'INVALID_MESSAGE', message: '"message" must be a non-empty string' },
      });
    });

    if (options.streamStartFailure === 'error-event') {
      it('ends the stream with an error event when no provider can start it', async () => {
        const { base, loaded } = example();
        for (const mock of loaded.mocks) mock.setDefault(fault.status(503));
        const res = await fetch(`${base}/chat/stream?message=hi`);
        expect(res.status).toBe(200);
        const events = parseSse(await res.text());
        expect(events).toEqual([{ event: 'error', data: allFailedBody }]);
      });
    } else {
      it('answers 503 as JSON when no provider can start the stream', async () => {
        const { base, loaded } = example();
        for (const mock of loaded.mocks) mock.setDefault(fault.status(503));
        const res = await fetch(`${base}/chat/stream?message=hi`);
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual(allFailedBody);
      });
    }

    it('ends a stream the provider cut midway with an error event and no done', async () => {
      const { base, loaded } = example();
      loaded.mocks[0]!.setDefault(fault.resetMidStream(3));
      const res = await fetch(`${base}/chat/stream?message=hi`);
      expect(res.status).toBe(200);
      const events = parseSse(await res.text());
      expect(events[0]!.event).toBe('message');
      expect(events.some((e) => e.event === 'done')).toBe(false);
      expect(events.at(-1)).toEqual({
        event: 'error',
        data: {
          error: {
            message: 'The AI answer was interrupted before it was complete',
            type: 'api_error',
            param: null,
            code: 'stream_interrupted',
          },
        },
      });
      expect(loaded.mocks[1]!.requests).toHaveLength(0);
    });

    it('stops the upstream stream when the browser goes away', async () => {
      const { base, loaded } = example();
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
      const { base } = example();
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual(expect.objectContaining({ ready: true }));
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    });

    it('serves the OpenAI-compatible routes to holders of APP_TOKEN', async () => {
      const { base, appToken } = example();
      const request = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      };
      expect((await fetch(`${base}/v1/chat/completions`, request)).status).toBe(401);
      const res = await fetch(`${base}/v1/chat/completions`, {
        ...request,
        headers: { ...request.headers, authorization: `Bearer ${appToken}` },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ai-failover-deployment')).toBe('primary/gpt-4.1-mini');
    });
  });
}
