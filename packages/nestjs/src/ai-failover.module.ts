import {
  type DynamicModule,
  Inject,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { AI_FAILOVER_CLIENT, AI_FAILOVER_CLIENT_HANDLE, AI_FAILOVER_OPTIONS } from './ai-failover.constants';
import {
  type AiFailoverClientHandle,
  createAsyncOptionsProviders,
  createClientProviders,
} from './ai-failover.providers';
import { AiFailoverService } from './ai-failover.service';
import { AiFailoverContextInterceptor } from './ai-failover-context.interceptor';
import { AiFailoverExceptionFilter } from './ai-failover-exception.filter';
import { createAiFailoverHealthController } from './ai-failover-health.controller';
import type {
  AiFailoverModuleAsyncOptions,
  AiFailoverModuleConfig,
  AiFailoverModuleOptions,
} from './ai-failover-options.interface';

/**
 * Provides an `AiClient` (`AI_FAILOVER_CLIENT`) and `AiFailoverService`, runs every handler in an
 * ai-failover context (`@UseModel()`, abort on client disconnect), and mounts health routes.
 * The client is built while the app bootstraps (an invalid config fails it with the
 * `ConfigError`), started on module init, and closed on application shutdown, after the HTTP
 * server has stopped taking requests, unless the app passed its own client.
 */
@Module({})
export class AiFailoverModule implements OnModuleInit, OnApplicationShutdown {
  private readonly handle: AiFailoverClientHandle;

  constructor(@Optional() @Inject(AI_FAILOVER_CLIENT_HANDLE) handle?: AiFailoverClientHandle) {
    if (!handle) {
      throw new Error(
        'AiFailoverModule was imported without configuration: import AiFailoverModule.forRoot(config) or AiFailoverModule.forRootAsync({ useFactory, inject })',
      );
    }
    this.handle = handle;
  }

  /**
   * Registers the module with a configuration, or with `{ client }` for a client the app owns.
   *
   * ```ts
   * AiFailoverModule.forRoot(config, { isGlobal: true, exceptionFilter: true })
   * ```
   */
  static forRoot(config: AiFailoverModuleConfig, options: AiFailoverModuleOptions = {}): DynamicModule {
    return AiFailoverModule.build([{ provide: AI_FAILOVER_OPTIONS, useValue: config }], [], options);
  }

  /**
   * Registers the module with a configuration built by a factory, a class or an existing provider.
   *
   * ```ts
   * AiFailoverModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => config.getOrThrow('ai'),
   * })
   * ```
   */
  static forRootAsync(options: AiFailoverModuleAsyncOptions): DynamicModule {
    return AiFailoverModule.build(createAsyncOptionsProviders(options), options.imports ?? [], options);
  }

  private static build(
    optionsProviders: Provider[],
    imports: NonNullable<DynamicModule['imports']>,
    options: AiFailoverModuleOptions,
  ): DynamicModule {
    const providers: Provider[] = [
      ...optionsProviders,
      ...createClientProviders(),
      AiFailoverService,
      { provide: APP_INTERCEPTOR, useClass: AiFailoverContextInterceptor },
    ];
    if (options.exceptionFilter) providers.push({ provide: APP_FILTER, useClass: AiFailoverExceptionFilter });
    const health = options.health ?? {};
    return {
      module: AiFailoverModule,
      global: options.isGlobal ?? false,
      imports,
      controllers: health === false ? [] : [createAiFailoverHealthController(health.path)],
      providers,
      exports: [AI_FAILOVER_CLIENT, AI_FAILOVER_OPTIONS, AiFailoverService],
    };
  }

  /** Starts the client's background work. */
  async onModuleInit(): Promise<void> {
    await this.handle.client.start();
  }

  /** Closes the client, when the module created it. */
  async onApplicationShutdown(): Promise<void> {
    if (this.handle.owned) await this.handle.client.close();
  }
}
