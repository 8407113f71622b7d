import 'reflect-metadata';
import { AiClient, type AiFailoverConfig, ConfigError } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  AI_FAILOVER_CLIENT,
  AI_FAILOVER_OPTIONS,
  AiFailoverModule,
  type AiFailoverModuleConfig,
  type AiFailoverOptionsFactory,
  AiFailoverService,
} from '.';
import {
  activeResources,
  appStarter,
  baselineResources,
  closeAll,
  configFor,
  handlesAbove,
  hello,
  PLATFORMS,
  startMocks,
} from './__tests__/support';

@Controller('ask')
class AskController {
  constructor(private readonly ai: AiFailoverService) {}

  @Get()
  async ask() {
    const { response, report } = await this.ai.chat(hello);
    return { content: response.choices[0]?.message.content, deployment: report.deployment };
  }
}

/** A feature module that imports nothing from ai-failover. */
@Module({ controllers: [AskController] })
class FeatureModule {}

const KINDS = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'] as const;

describe.each(PLATFORMS)('AiFailoverModule (%s)', (platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let config: AiFailoverConfig;

  beforeEach(async () => {
    mocks = await startMocks(['main']);
    config = configFor(mocks);
  });

  afterEach(async () => {
    await closeAll(mocks);
  });

  async function ask(url: string): Promise<unknown> {
    const response = await fetch(`${url}/ask`);
    expect(response.status).toBe(200);
    return response.json();
  }

  it('forRootAsync builds the client from ConfigService', async () => {
    const running = await startApp({
      imports: [
        ConfigModule.forRoot({ load: [() => ({ ai: config })], ignoreEnvFile: true }),
        AiFailoverModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (settings: ConfigService) => settings.getOrThrow<AiFailoverConfig>('ai'),
          isGlobal: true,
        }),
        FeatureModule,
      ],
    });
    try {
      expect(running.app.getHttpAdapter().getType()).toBe(platform);
      expect(await ask(running.url)).toEqual({ content: 'Hello from main', deployment: 'main/main-model' });
      expect(running.app.get(AI_FAILOVER_OPTIONS)).toMatchObject({ models: { main: {} } });
    } finally {
      await running.close();
    }
  });

  it('fails the bootstrap with the ConfigError naming the bad field', async () => {
    const bad = { ...config, providers: [{ ...config.providers[0]!, baseUrl: 'not a url' }] };
    const compiling = Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ load: [() => ({ ai: bad })], ignoreEnvFile: true }),
        AiFailoverModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (settings: ConfigService) => settings.getOrThrow<AiFailoverConfig>('ai'),
        }),
      ],
    }).compile();
    const error = await compiling.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/providers\[0\]\.baseUrl/);
    expect((error as ConfigError).issues).toEqual([
      expect.objectContaining({ path: 'providers[0].baseUrl' }),
    ]);

    await expect(
      Test.createTestingModule({
        imports: [AiFailoverModule.forRoot({ ...config, defaultModel: 'missing' })],
      }).compile(),
    ).rejects.toThrow(/defaultModel/);
  });

  it('forRootAsync takes useClass and useExisting', async () => {
    @Injectable()
    class AiConfigFactory implements AiFailoverOptionsFactory {
      createAiFailoverOptions(): AiFailoverModuleConfig {
        return config;
      }
    }
    @Module({ providers: [AiConfigFactory], exports: [AiConfigFactory] })
    class AiConfigModule {}

    for (const registration of [
      AiFailoverModule.forRootAsync({ useClass: AiConfigFactory, isGlobal: true }),
      AiFailoverModule.forRootAsync({
        imports: [AiConfigModule],
        useExisting: AiConfigFactory,
        isGlobal: true,
      }),
    ]) {
      const running = await startApp({ imports: [registration, FeatureModule] });
      try {
        expect(await ask(running.url)).toMatchObject({ deployment: 'main/main-model' });
      } finally {
        await running.close();
      }
    }
    await expect(Test.createTestingModule({ imports: [AiFailoverModule] }).compile()).rejects.toThrow(
      /imported without configuration: import AiFailoverModule.forRoot\(config\)/,
    );
    expect(() => AiFailoverModule.forRootAsync({})).toThrow(
      /exactly one of useFactory, useClass or useExisting/,
    );
  });

  it('starts and closes the client it creates, leaving no handle open', async () => {
    await closeAll(mocks);
    const baseline = await baselineResources();
    mocks = await startMocks(['main']);
    config = configFor(mocks);
    const running = await startApp({
      imports: [AiFailoverModule.forRoot(config, { isGlobal: true }), FeatureModule],
    });
    const client = running.app.get<AiClient>(AI_FAILOVER_CLIENT);
    expect(client).toBeInstanceOf(AiClient);
    expect(running.app.get(AiFailoverService).client).toBe(client);
    await ask(running.url);
    await ask(running.url);
    expect(client.closed).toBe(false);
    expect(activeResources().TCPSocketWrap ?? 0).toBeGreaterThan(baseline.TCPSocketWrap ?? 0);
    await running.close();
    expect(client.closed).toBe(true);
    // Only the mock's server is left: the app's server, the client's connections and timers are gone.
    const withMock = { ...baseline, TCPServerWrap: (baseline.TCPServerWrap ?? 0) + 1 };
    expect(await handlesAbove(withMock, KINDS)).toEqual({});
    await closeAll(mocks);
    expect(await handlesAbove(baseline, KINDS)).toEqual({});
  });

  it('drains on shutdown: readiness 503 at once, a hung call is aborted after drainMs, close() ends', async () => {
    mocks.main!.setDefault(fault.hang());
    const running = await startApp({
      imports: [AiFailoverModule.forRoot(config, { drainMs: 200, openai: { authorize: () => true } })],
    });
    const pending = fetch(`${running.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'main', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await mocks.main!.waitForRequests(1);
    const client = running.app.get<AiClient>(AI_FAILOVER_CLIENT);
    const started = Date.now();
    const closing = running.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.readiness().httpStatus).toBe(503);
    const res = await pending;
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'client_closed' } });
    await closing;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(client.closed).toBe(true);
  });

  it('refuses a drainMs that is not a number of milliseconds', () => {
    expect(() => AiFailoverModule.forRoot(config, { drainMs: -1 })).toThrow(/nestjs\.drainMs/);
  });

  it('uses a client the app passes in without closing it', async () => {
    const client = new AiClient(config);
    const start = jest.spyOn(client, 'start');
    const running = await startApp({
      imports: [AiFailoverModule.forRoot({ client }, { isGlobal: true }), FeatureModule],
    });
    try {
      expect(start).toHaveBeenCalledTimes(1);
      expect(running.app.get(AI_FAILOVER_CLIENT)).toBe(client);
      expect(await ask(running.url)).toMatchObject({ deployment: 'main/main-model' });
    } finally {
      await running.close();
    }
    expect(client.closed).toBe(false);

    const direct = await startApp({
      imports: [AiFailoverModule.forRoot(client, { isGlobal: true }), FeatureModule],
    });
    try {
      expect(direct.app.get(AiFailoverService).client).toBe(client);
      expect(await ask(direct.url)).toMatchObject({ deployment: 'main/main-model' });
    } finally {
      await direct.close();
    }
    expect(client.closed).toBe(false);
    await client.close();

    await expect(
      Test.createTestingModule({
        imports: [AiFailoverModule.forRoot({ client: {} as AiClient })],
      }).compile(),
    ).rejects.toThrow(/client: must be an AiClient/);
  });

  it('keeps the service to the importing module unless isGlobal', async () => {
    await expect(
      Test.createTestingModule({ imports: [AiFailoverModule.forRoot(config), FeatureModule] }).compile(),
    ).rejects.toThrow(/AiFailoverService/);
    const running = await startApp({
      imports: [AiFailoverModule.forRoot(config)],
      controllers: [AskController],
    });
    try {
      expect(await ask(running.url)).toMatchObject({ deployment: 'main/main-model' });
    } finally {
      await running.close();
    }
  });
});
