import { aiFailover } from '@ai-failover/express';
import { type Listening, listen } from '@ai-failover/testing';
import { providers } from '@ai-failover/testing/support';
import express from 'express';
import express4 from 'express4';
import { describeRequestGuards } from './__tests__/request-guards';

describe.each([
  ['Express 5', express],
  ['Express 4', express4],
] as const)('%s: request guards of the OpenAI routes', (_name, createApp) => {
  let env: Awaited<ReturnType<typeof providers>> | undefined;
  let app: Listening | undefined;
  afterEach(async () => {
    await app?.close();
    await env?.close();
    app = env = undefined;
  });

  describe.each([
    ['reading bodies itself', false],
    ['after express.json() and express.urlencoded()', true],
  ] as const)('%s', (_how, parsers) => {
    describeRequestGuards({
      readsBody: !parsers,
      async start(openai) {
        env = await providers();
        const web = createApp();
        if (parsers) web.use(express.json(), express.urlencoded({ extended: true }), express.text());
        web.use(aiFailover(env.config(), { openai: { authorize: () => true, ...openai } }));
        app = await listen(web);
        const mocks = env.mocks;
        return { base: app.base, upstreamCalls: () => mocks.reduce((n, m) => n + m.requests.length, 0) };
      },
    });
  });
});
