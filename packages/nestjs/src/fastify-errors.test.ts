import { AiClient } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { closeAll, configFor, hello, startMocks } from './__tests__/support';

/** A bare Fastify app (no Nest, no handler of ours): its default error handler reads the error. */
describe("Fastify's default error handler", () => {
  let mocks: Record<string, MockProvider>;
  let client: AiClient;
  let app: FastifyInstance;
  let url: string;

  beforeAll(async () => {
    mocks = await startMocks(['a', 'b']);
    client = new AiClient(configFor(mocks, { policy: { maxRetryAfterMs: 0, deadlineMs: 2000 } }));
    app = Fastify();
    app.get<{ Params: { model: string } }>(
      '/ask/:model',
      async (request) => (await client.chat(hello, { model: request.params.model })).response,
    );
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
    await client.close();
    await closeAll(mocks);
  });

  it('answers a typed error with its status and its headers', async () => {
    mocks.a!.setDefault(fault.rateLimited({ retryAfterSeconds: 9 }));
    const limited = await fetch(`${url}/ask/a`);
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('9');
    expect(await limited.json()).toMatchObject({ statusCode: 503, code: 'AI_ALL_ATTEMPTS_FAILED' });

    mocks.b!.setDefault(fault.badRequest('temperature is out of range'));
    const refused = await fetch(`${url}/ask/b`);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('temperature is out of range'),
    });
  });
});
