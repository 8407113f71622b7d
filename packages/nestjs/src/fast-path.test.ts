import 'reflect-metadata';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AiFailoverConfig } from '@ai-failover/core';
import type { MockProvider } from '@ai-failover/testing';
import { Controller, Get } from '@nestjs/common';
import OpenAI from 'openai';
import { AiFailoverModule } from '.';
import { appStarter, closeAll, configFor, PLATFORMS, type RunningApp, startMocks } from './__tests__/support';

const TOKEN = 'test-token';

@Controller('other')
class OtherController {
  @Get()
  other() {
    return { from: 'controller' };
  }
}

describe.each(PLATFORMS)('fastPath (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let config: AiFailoverConfig;
  let running: RunningApp | undefined;

  beforeEach(async () => {
    mocks = await startMocks(['a']);
    config = configFor(mocks);
  });
  afterEach(async () => {
    await running?.close();
    running = undefined;
    await closeAll(mocks);
  });

  test('the routes are served before Nest from the first request, below the global prefix', async () => {
    const subjects: IncomingMessage[] = [];
    running = await startApp(
      {
        imports: [
          AiFailoverModule.forRoot(config, {
            fastPath: true,
            openai: {
              authorize: (req: IncomingMessage) => {
                subjects.push(req);
                return req.headers.authorization === `Bearer ${TOKEN}`;
              },
            },
          }),
        ],
        controllers: [OtherController],
      },
      {
        setup: (app) => {
          app.setGlobalPrefix('api');
          // The app's own middleware: marks every response that goes through Nest.
          app.use((_req: IncomingMessage, res: ServerResponse, next: () => void) => {
            res.setHeader('x-app-middleware', 'seen');
            next();
          });
        },
      },
    );
    const openai = new OpenAI({ baseURL: `${running.url}/api/v1`, apiKey: TOKEN, maxRetries: 0 });
    const { data, response } = await openai.chat.completions
      .create({ model: 'a', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from a');
    expect(response.headers.get('x-app-middleware')).toBeNull();
    expect(subjects).toHaveLength(1);

    let text = '';
    const stream = await openai.chat.completions.create({
      model: 'a',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from a');

    const refused = new OpenAI({ baseURL: `${running.url}/api/v1`, apiKey: 'nope', maxRetries: 0 });
    await expect(refused.models.list()).rejects.toMatchObject({ status: 401 });

    const other = await fetch(`${running.url}/api/other`);
    expect(await other.json()).toEqual({ from: 'controller' });
    expect(other.headers.get('x-app-middleware')).toBe('seen');
  });
});
