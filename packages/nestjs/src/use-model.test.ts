import 'reflect-metadata';
import { type ChatResult, ConfigError } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get } from '@nestjs/common';
import { AiFailoverModule, AiFailoverService, AiModel, UseModel } from '.';
import {
  appStarter,
  closeAll,
  configFor,
  hello,
  PLATFORMS,
  type RunningApp,
  startMocks,
} from './__tests__/support';

@UseModel('c')
@Controller('chat')
class ChatController {
  constructor(private readonly ai: AiFailoverService) {}

  private async answer(result: Promise<ChatResult>) {
    const { response, report } = await result;
    return { content: response.choices[0]?.message.content, report };
  }

  @Get('class')
  fromClass() {
    return this.answer(this.ai.chat(hello));
  }

  @UseModel('a', { fallbacks: ['b'] })
  @Get('method')
  fromMethod() {
    return this.answer(this.ai.chat(hello));
  }

  @UseModel('a', { fallbacks: ['b'] })
  @Get('explicit')
  explicit() {
    return this.answer(this.ai.chat(hello, { model: 'd' }));
  }

  @UseModel('a', { fallbacks: ['b'] })
  @Get('explicit-fallbacks')
  explicitFallbacks() {
    return this.answer(this.ai.chat(hello, { fallbacks: ['d'] }));
  }

  @UseModel('d')
  @Get('param')
  param(@AiModel() model: string | undefined) {
    return { model };
  }

  @Get('class-param')
  classParam(@AiModel() model: string | undefined) {
    return { model };
  }

  @UseModel('d')
  @Get('embeddings')
  async embeddings() {
    const { report } = await this.ai.embeddings({ input: 'hi' });
    return { report };
  }
}

@Controller('plain')
class PlainController {
  constructor(private readonly ai: AiFailoverService) {}

  @Get()
  async plain(@AiModel() model: string | undefined) {
    const { report } = await this.ai.chat(hello);
    return { model: model ?? null, report };
  }
}

describe.each(PLATFORMS)('@UseModel (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let running: RunningApp;

  beforeAll(async () => {
    mocks = await startMocks(['a', 'b', 'c', 'd']);
    const config = configFor(mocks, {
      models: {
        a: {
          deployments: [
            { provider: 'a', model: 'a-1' },
            { provider: 'a', model: 'a-2' },
          ],
        },
      },
    });
    config.defaultModel = 'b';
    running = await startApp({
      imports: [AiFailoverModule.forRoot(config)],
      controllers: [ChatController, PlainController],
    });
  });

  afterAll(async () => {
    await running?.close();
    await closeAll(mocks);
  });

  beforeEach(() => {
    for (const mock of Object.values(mocks)) mock.reset();
    mocks.a!.setDefault(fault.status(503));
  });

  const get = async (path: string) => {
    const response = await fetch(`${running.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, never> };
  };

  it('answers from the fallback group when every deployment of the method model fails', async () => {
    const { status, body } = await get('/chat/method');
    expect(status).toBe(200);
    expect(body.content).toBe('Hello from b');
    const report = body.report as {
      deployment: string;
      model: string;
      servedBy: string;
      attempts: unknown[];
    };
    expect(report).toMatchObject({ model: 'a', deployment: 'b/b-model', servedBy: 'b' });
    expect(report.attempts).toEqual([
      expect.objectContaining({ deployment: 'a/a-1', outcome: 'server_error', status: 503 }),
      expect.objectContaining({ deployment: 'a/a-2', outcome: 'server_error', status: 503 }),
      expect.objectContaining({ deployment: 'b/b-model', outcome: 'success' }),
    ]);
    expect(mocks.a!.requests.map((r) => r.model)).toEqual(['a-1', 'a-2']);
  });

  it('applies a class decorator to methods without their own', async () => {
    const { body } = await get('/chat/class');
    expect(body.report).toMatchObject({ model: 'c', deployment: 'c/c-model' });
    expect(mocks.c!.requests).toHaveLength(1);
  });

  it('lets an explicit model beat the method and class decorators, without their fallbacks', async () => {
    const { body } = await get('/chat/explicit');
    expect(body.report).toMatchObject({ model: 'd', deployment: 'd/d-model', failovers: 0 });
    expect(mocks.a!.requests).toHaveLength(0);

    mocks.d!.setDefault(fault.status(503));
    const failed = await fetch(`${running.url}/chat/explicit`);
    // No filter of ours here: Nest's own answers with the error's status.
    expect(failed.status).toBe(503);
    expect(mocks.b!.requests).toHaveLength(0);
  });

  it('lets explicit fallbacks replace the decorator ones while keeping its model', async () => {
    const { body } = await get('/chat/explicit-fallbacks');
    expect(body.report).toMatchObject({ model: 'a', deployment: 'd/d-model', servedBy: 'd' });
    expect(mocks.b!.requests).toHaveLength(0);
  });

  it('uses the default model outside decorated handlers', async () => {
    const { body } = await get('/plain');
    expect(body).toMatchObject({ model: null, report: { model: 'b', deployment: 'b/b-model' } });
  });

  it('applies to embeddings too', async () => {
    const { body } = await get('/chat/embeddings');
    expect(body.report).toMatchObject({ model: 'd', deployment: 'd/d-model' });
    expect(mocks.d!.requests[0]!.path).toBe('/v1/embeddings');
  });

  it('exposes the selected model through @AiModel()', async () => {
    expect((await get('/chat/param')).body).toEqual({ model: 'd' });
    expect((await get('/chat/class-param')).body).toEqual({ model: 'c' });
  });

  it('rejects invalid arguments when the class is declared', () => {
    expect(() => UseModel('')).toThrow(ConfigError);
    expect(() => UseModel('')).toThrow(/UseModel\.model: must be the name of a model group, got ""/);
    expect(() => UseModel('a', { deadlineMs: -1 })).toThrow(
      /UseModel\.deadlineMs: must be a positive number of milliseconds, got -1/,
    );
    expect(() => UseModel('a', { fallbacks: 'b' as unknown as string[] })).toThrow(
      /UseModel\.fallbacks: must be an array of model group names, got a string/,
    );
    expect(() => UseModel('a', { deadline: 5 } as never)).toThrow(
      /UseModel\.deadline: unknown option; did you mean "deadlineMs"\?/,
    );
    expect(() => UseModel('a', 'b' as never)).toThrow(
      /UseModel\.options: must be an options object, got a string/,
    );
  });
});
