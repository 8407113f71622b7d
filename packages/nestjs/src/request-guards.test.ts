import type { MockProvider } from '@ai-failover/testing';
import { describeRequestGuards } from '../../express/src/__tests__/request-guards';
import { AiFailoverModule } from '.';
import { appStarter, closeAll, configFor, PLATFORMS, type RunningApp, startMocks } from './__tests__/support';

describe.each(PLATFORMS)('Nest on %s: request guards of the OpenAI routes', (platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider> | undefined;
  let running: RunningApp | undefined;
  afterEach(async () => {
    await running?.close();
    if (mocks) await closeAll(mocks);
    running = mocks = undefined;
  });

  // On Express, Nest's own JSON and urlencoded parsers read bodies first; on Fastify the routes do.
  describeRequestGuards({
    readsBody: platform === 'fastify',
    async start(openai) {
      mocks = await startMocks(['a', 'b']);
      const config = configFor(mocks, {
        models: {
          'gpt-4.1': {
            deployments: [
              { provider: 'a', model: 'a-model' },
              { provider: 'b', model: 'b-model' },
            ],
          },
        },
      });
      running = await startApp({
        imports: [AiFailoverModule.forRoot(config, { openai: { authorize: () => true, ...openai } })],
      });
      const all = Object.values(mocks);
      return { base: running.url, upstreamCalls: () => all.reduce((n, m) => n + m.requests.length, 0) };
    },
  });
});
