import { createAiClient } from '@ai-failover/core';
import { createAiFailoverHttpHandler, middlewareRoutes, nestWildcard } from './ai-failover-http.middleware';

describe('the routes the middleware is applied to', () => {
  it('use the wildcard syntax of the running Nest major', () => {
    expect(nestWildcard('10.4.22')).toBe('*');
    expect(nestWildcard('11.0.0')).toBe('*path');
    expect(nestWildcard('12.5.1')).toBe('*path');
  });

  it('cover each route prefix and what is below it', async () => {
    const client = createAiClient({
      providers: [{ id: 'p', baseUrl: 'http://127.0.0.1:9/v1' }],
      models: { chat: { deployments: [{ provider: 'p', model: 'm' }] } },
    });
    const handler = createAiFailoverHttpHandler(
      { client, owned: true },
      { openai: { authorize: () => true }, dashboard: { path: '/ops/ai', authorize: () => true } },
    );
    try {
      expect(middlewareRoutes(handler!)).toEqual(['/v1', '/v1/*path', '/ops/ai', '/ops/ai/*path']);
      expect(middlewareRoutes(handler!, '*')).toEqual(['/v1', '/v1/*', '/ops/ai', '/ops/ai/*']);
    } finally {
      await handler?.close();
      await client.close();
    }
  });
});
