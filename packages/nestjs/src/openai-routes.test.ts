import 'reflect-metadata';
import { IncomingMessage } from 'node:http';
import { AiClient, type AiFailoverConfig, ConfigError } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Body, Controller, Get, NotFoundException, Param, Post } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import OpenAI from 'openai';
import { AI_FAILOVER_HTTP_HANDLER, AiFailoverModule, type AiFailoverModuleOptions } from '.';
import {
  appStarter,
  closeAll,
  configFor,
  hello,
  PLATFORMS,
  type RunningApp,
  type StartOptions,
  startMocks,
} from './__tests__/support';

const TOKEN = 'test-token';
const TRACE = /^a\/a-model;outcome=server_error;status=503;ms=\d+, b\/b-model;outcome=success;ms=\d+$/;

/** A route of the app under the same prefix as the OpenAI routes. */
@Controller('v1/custom')
class CustomController {
  @Get()
  custom() {
    return { from: 'controller' };
  }

  @Post()
  create(@Body() body: unknown) {
    return { received: body };
  }

  /** A 404 of the app's own, under the prefix. */
  @Get(':id')
  item(@Param('id') id: string) {
    throw new NotFoundException(`No item ${id}`);
  }
}

describe.each(PLATFORMS)('OpenAI-compatible routes (%s)', (platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let config: AiFailoverConfig;
  let running: RunningApp | undefined;
  const seen: IncomingMessage[] = [];

  const authorize = (req: IncomingMessage) => {
    seen.push(req);
    return req.headers.authorization === `Bearer ${TOKEN}`;
  };

  beforeEach(async () => {
    mocks = await startMocks(['a', 'b']);
    config = configFor(mocks, {
      models: {
        chat: {
          deployments: [
            { provider: 'a', model: 'a-model' },
            { provider: 'b', model: 'b-model' },
          ],
        },
      },
    });
    seen.length = 0;
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await closeAll(mocks);
  });

  async function start(
    options: AiFailoverModuleOptions = { openai: { authorize } },
    start: StartOptions = {},
    appConfig: AiFailoverConfig = config,
  ): Promise<{ url: string; openai: OpenAI }> {
    running = await startApp(
      { imports: [AiFailoverModule.forRoot(appConfig, options)], controllers: [CustomController] },
      start,
    );
    const openai = new OpenAI({ baseURL: `${running.url}/v1`, apiKey: TOKEN, maxRetries: 0 });
    return { url: running.url, openai };
  }

  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('gives the official client a completion and a stream through a failing primary', async () => {
    mocks.a!.setDefault(fault.status(503));
    const { openai } = await start();

    const { data, response } = await openai.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from b');
    expect(response.headers.get('x-ai-failover-trace')).toMatch(TRACE);
    expect(response.headers.get('x-ai-failover-deployment')).toBe('b/b-model');

    const streamed = await openai.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .withResponse();
    expect(streamed.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(streamed.response.headers.get('x-ai-failover-trace')).toMatch(TRACE);
    let text = '';
    for await (const chunk of streamed.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from b');
    expect(mocks.a!.requests.map((r) => r.model)).toEqual(['a-model', 'a-model']);

    // authorize received the Node.js request (the Express request on platform-express, the raw
    // request on Fastify).
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toBeInstanceOf(IncomingMessage);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(typeof seen[0]!.socket).toBe('object');
  });

  it('serves embeddings and the models, and leaves other paths to the app', async () => {
    const { openai, url } = await start({ openai: { authorize, models: ['chat', 'a'] } });
    const embedded = await openai.embeddings.create({ model: 'a', input: 'hello' });
    expect(embedded.data[0]?.embedding.length).toBeGreaterThan(0);
    const models: string[] = [];
    for await (const model of openai.models.list()) models.push(model.id);
    expect(models.sort()).toEqual(['a', 'chat']);
    expect(await openai.models.retrieve('chat')).toMatchObject({ id: 'chat', object: 'model' });
    await expect(openai.models.retrieve('b')).rejects.toMatchObject({ status: 404 });

    const custom = await fetch(`${url}/v1/custom`);
    expect(custom.status).toBe(200);
    expect(await custom.json()).toEqual({ from: 'controller' });
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  });

  it('answers a path under the prefix that nothing serves with the OpenAI 404, and leaves other 404s to Nest', async () => {
    const { openai, url } = await start();
    // The official client reads the routes' 404 as a NotFoundError with its code.
    const legacy = openai.completions.create({ model: 'chat', prompt: 'hi' });
    await expect(legacy).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(legacy).rejects.toMatchObject({
      status: 404,
      code: 'unknown_url',
      type: 'invalid_request_error',
    });

    const unknown = await fetch(`${url}/v1/nothing-here?x=1`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(unknown.headers.get('x-request-id')).toMatch(/^afo_/);
    expect(await unknown.json()).toEqual({
      error: {
        message:
          'Unknown request URL: GET /v1/nothing-here. Served here: chat/completions, responses, embeddings, models.',
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    });
    const deleted = await fetch(`${url}/v1/chat/completions`, { method: 'DELETE' });
    expect(deleted.status).toBe(404);
    expect(await deleted.json()).toMatchObject({ error: { code: 'unknown_url' } });

    // The app's controller under the prefix, its own 404 there, and a 404 elsewhere stay Nest's.
    expect(await (await fetch(`${url}/v1/custom`)).json()).toEqual({ from: 'controller' });
    const own = await fetch(`${url}/v1/custom/42`);
    expect(own.status).toBe(404);
    expect(await own.json()).toEqual({ statusCode: 404, message: 'No item 42', error: 'Not Found' });
    const elsewhere = await fetch(`${url}/v2/nothing-here`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({
      statusCode: 404,
      message: 'Cannot GET /v2/nothing-here',
      error: 'Not Found',
    });
  });

  it('answers 401 when authorize does not return true', async () => {
    const { url } = await start({ openai: { authorize: async (req) => authorize(req) } });
    const refused = await post(`${url}/v1/chat/completions`, JSON.stringify({ model: 'chat', ...hello }), {
      authorization: 'Bearer wrong',
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.json()).toMatchObject({
      error: { type: 'authentication_error', code: 'unauthorized' },
    });
    const wrong = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401 });
    expect(mocks.a!.requests).toHaveLength(0);

    await running!.close();
    const thrower = await start({
      openai: {
        authorize: () => {
          throw new Error('token store down at 10.1.2.3');
        },
      },
    });
    const failed = await post(
      `${thrower.url}/v1/chat/completions`,
      JSON.stringify({ model: 'chat', ...hello }),
    );
    expect(failed.status).toBe(500);
    expect(await failed.text()).not.toContain('10.1.2.3');
  });

  it('answers a malformed or too large body in OpenAI shape, whoever read it', async () => {
    const { url } = await start({ openai: { authorize, bodyLimit: '256kb' } });
    const chat = `${url}/v1/chat/completions`;
    // On Express, Nest's JSON body parser reads an application/json body before any middleware;
    // on Fastify the middleware runs in an onRequest hook, before any body is parsed, and the
    // route reads it. Either way the answer has the routes' shape and headers.
    const malformedJson = await post(chat, '{"model": "chat", "messages": [');
    expect(malformedJson.status).toBe(400);
    expect(malformedJson.headers.get('x-request-id')).toMatch(/^afo_/);
    expect(await malformedJson.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'invalid_json',
        param: null,
        message: expect.stringMatching(/^The request body is not valid JSON: /),
      },
    });
    // Over Nest's 100 kb parser limit on Express, over bodyLimit on Fastify.
    const large = await post(chat, JSON.stringify({ model: 'chat', ...hello, padding: 'x'.repeat(300_000) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({
      error: {
        type: 'invalid_request_error',
        code: 'request_too_large',
        message: `The request body is larger than the limit of ${platform === 'express' ? 102400 : 262144} bytes`,
      },
    });
    // A body that does not say it is JSON is refused in OpenAI's shape, whatever it holds.
    const notJson = await post(chat, '{"model": "chat", "messages": [', { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);
    expect(await notJson.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'unsupported_media_type', param: null },
    });
    const missing = await post(chat, JSON.stringify({ model: 'chat' }));
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: { param: 'messages' } });
    // The app's routes keep Nest's own answer.
    const elsewhere = await post(`${url}/v1/custom`, '{"broken":');
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.json()).toMatchObject({ statusCode: 400 });
  });

  it('reads the body itself, up to bodyLimit, in an app without a body parser', async () => {
    const { url } = await start({ openai: { authorize, bodyLimit: '1kb' } }, { app: { bodyParser: false } });
    const chat = `${url}/v1/chat/completions`;
    const bad = await post(chat, '{"model": "chat", "messages": [');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_json' } });
    const large = await post(chat, JSON.stringify({ model: 'chat', ...hello, padding: 'x'.repeat(2048) }));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ error: { code: 'request_too_large' } });
    const ok = await post(chat, JSON.stringify({ model: 'chat', ...hello }));
    expect(ok.status).toBe(200);
  });

  it('serves its paths below the global prefix, written the Nest way', async () => {
    const { url } = await start(
      { openai: { authorize, path: 'ai/v1' } },
      { setup: (app) => app.setGlobalPrefix('api') },
    );
    const headers = { authorization: `Bearer ${TOKEN}` };
    const models = await fetch(`${url}/api/ai/v1/models`, { headers });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: unknown[] }).data).toHaveLength(3);
    expect((await fetch(`${url}/ai/v1/models`, { headers })).status).toBe(404);
    // The OpenAI 404 is for unknown paths under the prefix below the global prefix only.
    const unknown = await fetch(`${url}/api/ai/v1/nothing-here`);
    expect(await unknown.json()).toMatchObject({ error: { code: 'unknown_url' } });
    const outside = await fetch(`${url}/ai/v1/nothing-here`);
    expect(outside.status).toBe(404);
    expect(await outside.json()).toMatchObject({
      statusCode: 404,
      message: 'Cannot GET /ai/v1/nothing-here',
    });
    expect((await fetch(`${url}/api/health/live`)).status).toBe(200);

    const openai = new OpenAI({ baseURL: `${url}/api/ai/v1`, apiKey: TOKEN, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion).toMatchObject({ choices: [{ message: { content: 'Hello from a' } }] });
  });

  it('serves /metrics when the client has metrics, unless metrics: false', async () => {
    const withMetrics = { ...config, metrics: true };
    const { url } = await start({}, {}, withMetrics);
    expect(running!.app.get(AI_FAILOVER_HTTP_HANDLER)).not.toBeNull();
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await metrics.text()).toContain('# TYPE ai_requests_total counter');
    expect((await fetch(`${url}/v1/models`)).status).toBe(404);
    await running!.close();

    const renamed = await start({ metrics: { path: 'ops/metrics' } }, {}, withMetrics);
    expect((await fetch(`${renamed.url}/ops/metrics`)).status).toBe(200);
    expect((await fetch(`${renamed.url}/metrics`)).status).toBe(404);
    await running!.close();

    const off = await start({ metrics: false }, {}, withMetrics);
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    expect(running!.app.get(AI_FAILOVER_HTTP_HANDLER)).toBeNull();
    await running!.close();

    const without = await start({});
    expect((await fetch(`${without.url}/metrics`)).status).toBe(404);
    expect(running!.app.get(AI_FAILOVER_HTTP_HANDLER)).toBeNull();
  });

  it('takes the options in forRootAsync too', async () => {
    running = await startApp({
      imports: [
        AiFailoverModule.forRootAsync({
          useFactory: async () => config,
          openai: { authorize, path: '/llm' },
          health: false,
        }),
      ],
    });
    const openai = new OpenAI({ baseURL: `${running.url}/llm`, apiKey: TOKEN, maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion).toMatchObject({ choices: [{ message: { content: 'Hello from a' } }] });
    expect((await fetch(`${running.url}/health`)).status).toBe(404);
  });
});

describe('route options', () => {
  let mocks: Record<string, MockProvider>;

  beforeAll(async () => {
    mocks = await startMocks(['a']);
  });

  afterAll(async () => {
    await closeAll(mocks);
  });

  async function bootstrapError(options: Record<string, unknown>, async = false): Promise<ConfigError> {
    const config = configFor(mocks);
    const registration = async
      ? AiFailoverModule.forRootAsync({ useFactory: () => config, ...options })
      : AiFailoverModule.forRoot(config, options);
    const error = await Test.createTestingModule({ imports: [registration] })
      .compile()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('fails the bootstrap with the ConfigError naming a bad option', async () => {
    const close = jest.spyOn(AiClient.prototype, 'close');
    const authorize = await bootstrapError({ openai: { authorize: 'yes' } });
    expect(authorize.message).toMatch(/nestjs\.openai\.authorize: must be a function/);
    expect(authorize.issues).toEqual([expect.objectContaining({ path: 'nestjs.openai.authorize' })]);
    // The client the module had built for the config is closed.
    expect(close).toHaveBeenCalledTimes(1);
    close.mockRestore();

    expect((await bootstrapError({ openai: { path: '/v1' } }, true)).issues).toEqual([
      expect.objectContaining({ path: 'nestjs.openai.authorize' }),
    ]);
    expect((await bootstrapError({ openai: { authorize: () => true, models: ['nope'] } })).message).toMatch(
      /nestjs\.openai\.models\[0\]: unknown model group "nope"/,
    );
    expect((await bootstrapError({ openai: { authorize: () => true, bodyLimit: 'lots' } })).message).toMatch(
      /nestjs\.openai\.bodyLimit/,
    );
    expect((await bootstrapError({ dashboard: { pth: '/x' } }, true)).message).toMatch(
      /nestjs\.dashboard\.pth: unknown option; did you mean "path"\?/,
    );
    expect((await bootstrapError({ dashboard: { authorize: true } })).message).toMatch(
      /nestjs\.dashboard\.authorize: must be a function/,
    );
    expect((await bootstrapError({ dashboard: { intervalMs: 5 } })).message).toMatch(/dashboard\.intervalMs/);
    expect((await bootstrapError({ metrics: 'on' })).message).toMatch(
      /nestjs\.metrics: must be true, false or an object \{ path \}, got a string/,
    );
  });

  it('fails the bootstrap when the routes are on and the HTTP adapter is neither Express nor Fastify', async () => {
    class OtherAdapter extends ExpressAdapter {
      override getType(): string {
        return 'other';
      }
    }
    const startOther = appStarter(() => new OtherAdapter());
    const close = jest.spyOn(AiClient.prototype, 'close');
    const failing = startOther({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { dashboard: true })],
    });
    await expect(failing).rejects.toThrow(
      /the dashboard and \/metrics need @nestjs\/platform-express or @nestjs\/platform-fastify, but the app runs on the "other" HTTP adapter/,
    );
    expect(close).toHaveBeenCalledTimes(1);
    close.mockRestore();

    const without = await startOther({ imports: [AiFailoverModule.forRoot(configFor(mocks))] });
    try {
      expect((await fetch(`${without.url}/health/live`)).status).toBe(200);
    } finally {
      await without.close();
    }
  });
});
