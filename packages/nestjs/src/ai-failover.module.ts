import type { IncomingMessage } from 'node:http';
import { ConfigError } from '@ai-failover/core';
import { type AiHttpHandler, installFastPath } from '@ai-failover/core/http';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  type OnModuleInit,
  Optional,
  type Provider,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import {
  AI_FAILOVER_CLIENT,
  AI_FAILOVER_CLIENT_HANDLE,
  AI_FAILOVER_DRAIN_MS,
  AI_FAILOVER_HTTP_HANDLER,
  AI_FAILOVER_HTTP_OPTIONS,
  AI_FAILOVER_OPTIONS,
} from './ai-failover.constants';
import {
  type AiFailoverClientHandle,
  createAsyncOptionsProviders,
  createClientProviders,
} from './ai-failover.providers';
import { AiFailoverService } from './ai-failover.service';
import { AiFailoverContextInterceptor } from './ai-failover-context.interceptor';
import { AiFailoverExceptionFilter } from './ai-failover-exception.filter';
import { createAiFailoverHealthController } from './ai-failover-health.controller';
import {
  AiFailoverHttpMiddleware,
  createAiFailoverHttpHandler,
  createBodyErrorLayer,
  createUnknownUrlHook,
  createUnknownUrlLayer,
  type FastifyRequestHook,
  globalPrefix,
  middlewareRoutes,
} from './ai-failover-http.middleware';
import type {
  AiFailoverHttpOptions,
  AiFailoverModuleAsyncOptions,
  AiFailoverModuleConfig,
  AiFailoverModuleOptions,
} from './ai-failover-options.interface';

/** The part of a Fastify instance the module uses. */
interface FastifyHooks {
  addHook(name: 'onRequest', hook: FastifyRequestHook): unknown;
}

/** The HTTP adapters (`httpAdapter.getType()`) whose middleware receives Node.js requests. */
const SUPPORTED_PLATFORMS: ReadonlySet<string> = new Set(['express', 'fastify']);

/**
 * Provides an `AiClient` (`AI_FAILOVER_CLIENT`) and `AiFailoverService`, runs every handler in an
 * ai-failover context (`@UseModel()`, abort on client disconnect), mounts health routes, and
 * applies `AiFailoverHttpMiddleware` for the OpenAI-compatible routes, the dashboard and
 * `/metrics` when they are on (and answers a path under the routes' prefix that nothing serves with
 * their OpenAI-shaped 404). The client and the routes are built while the app bootstraps (an
 * invalid config or option fails it with the `ConfigError`), the client is started on module
 * init; open dashboard pages are closed on module destroy; before the HTTP server closes, a client
 * the module created is drained (`drainMs`) and closed, unless the app passed its own client.
 */
@Module({})
export class AiFailoverModule
  implements
    NestModule,
    OnModuleInit,
    OnApplicationBootstrap,
    OnModuleDestroy,
    BeforeApplicationShutdown,
    OnApplicationShutdown
{
  private readonly handle: AiFailoverClientHandle;
  private readonly http: AiHttpHandler<IncomingMessage> | null;
  /** Whether `onModuleInit` added the answer to unknown paths under the OpenAI prefix (once). */
  private unknownUrlAdded = false;

  constructor(
    @Optional() @Inject(AI_FAILOVER_CLIENT_HANDLE) handle?: AiFailoverClientHandle,
    @Optional() @Inject(AI_FAILOVER_HTTP_HANDLER) http?: AiHttpHandler<IncomingMessage> | null,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
    @Optional() private readonly appConfig?: ApplicationConfig,
    @Optional() @Inject(AI_FAILOVER_DRAIN_MS) private readonly drainMs?: number,
  ) {
    if (!handle) {
      throw new Error(
        'AiFailoverModule was imported without configuration: import AiFailoverModule.forRoot(config) or AiFailoverModule.forRootAsync({ useFactory, inject })',
      );
    }
    this.handle = handle;
    this.http = http ?? null;
  }

  /**
   * Registers the module with a configuration, or with `{ client }` for a client the app owns.
   *
   * ```ts
   * AiFailoverModule.forRoot(config, {
   *   isGlobal: true,
   *   exceptionFilter: true,
   *   openai: { authorize: (req) => req.headers.authorization === `Bearer ${process.env.APP_TOKEN}` },
   * })
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
    const { drainMs } = options;
    if (drainMs !== undefined && !(typeof drainMs === 'number' && drainMs >= 0 && Number.isFinite(drainMs))) {
      throw new ConfigError([
        {
          path: 'nestjs.drainMs',
          message: `must be a non-negative number of milliseconds, got ${String(drainMs)}`,
        },
      ]);
    }
    const http: AiFailoverHttpOptions = {
      openai: options.openai,
      dashboard: options.dashboard,
      metrics: options.metrics,
      fastPath: options.fastPath,
    };
    const providers: Provider[] = [
      ...optionsProviders,
      ...createClientProviders(),
      { provide: AI_FAILOVER_HTTP_OPTIONS, useValue: http },
      { provide: AI_FAILOVER_DRAIN_MS, useValue: options.drainMs },
      {
        provide: AI_FAILOVER_HTTP_HANDLER,
        useFactory: createAiFailoverHttpHandler,
        inject: [AI_FAILOVER_CLIENT_HANDLE, AI_FAILOVER_HTTP_OPTIONS],
      },
      AiFailoverService,
      { provide: APP_INTERCEPTOR, useClass: AiFailoverContextInterceptor },
    ];
    if (options.exceptionFilter) providers.push({ provide: APP_FILTER, useClass: AiFailoverExceptionFilter });
    const health = options.health ?? {};
    return {
      module: AiFailoverModule,
      global: options.isGlobal ?? false,
      imports,
      controllers: health === false ? [] : [createAiFailoverHealthController(health.path, health.authorize)],
      providers,
      exports: [AI_FAILOVER_CLIENT, AI_FAILOVER_OPTIONS, AI_FAILOVER_HTTP_HANDLER, AiFailoverService],
    };
  }

  /**
   * Applies `AiFailoverHttpMiddleware` to the paths of the OpenAI-compatible routes, the dashboard
   * and `/metrics`, when one of them is on. They need the Node.js request and response, which only
   * platform-express and platform-fastify hand middleware: on another HTTP adapter the bootstrap
   * fails here, rather than every request to them getting a 404. On Express, an error layer added
   * after Nest's body parser answers its errors on the OpenAI-compatible routes in their shape (on
   * Fastify the routes read the body themselves).
   */
  configure(consumer: MiddlewareConsumer): void {
    if (!this.http) return;
    const routes = middlewareRoutes(this.http);
    if (routes.length === 0) return;
    const adapter = this.adapterHost?.httpAdapter;
    const platform = adapter?.getType();
    if (platform !== undefined && !SUPPORTED_PLATFORMS.has(platform)) {
      if (this.handle.owned) void this.handle.client.close();
      throw new Error(
        `AiFailoverModule: the OpenAI-compatible routes, the dashboard and /metrics need @nestjs/platform-express or @nestjs/platform-fastify, but the app runs on the "${platform}" HTTP adapter; turn them off (openai: false, dashboard: false, metrics: false)`,
      );
    }
    consumer.apply(AiFailoverHttpMiddleware).forRoutes(...routes);
    if (platform === 'express' && this.http.options.openai) {
      adapter!.use(createBodyErrorLayer(this.http, this.appConfig));
    }
  }

  /**
   * Starts the client's background work, and, with the OpenAI-compatible routes on, has a path
   * under their prefix that neither they nor a controller serve answered with their OpenAI-shaped
   * 404 `unknown_url` rather than Nest's. Nest registers the app's routes before this hook and its
   * not-found handler after it: on Express a layer added here sits between the two; on Fastify an
   * `onRequest` hook acts only on the requests the router sent to the not-found handler. Either way
   * only those requests are touched: every other 404, and every exception filter, stays the app's.
   */
  async onModuleInit(): Promise<void> {
    await this.handle.client.start();
    if (!this.http?.options.openai || this.unknownUrlAdded) return;
    const adapter = this.adapterHost?.httpAdapter;
    switch (adapter?.getType()) {
      case 'express':
        adapter!.use(createUnknownUrlLayer(this.http, this.appConfig));
        this.unknownUrlAdded = true;
        break;
      case 'fastify':
        (adapter!.getInstance() as FastifyHooks).addHook(
          'onRequest',
          createUnknownUrlHook(this.http, this.appConfig),
        );
        this.unknownUrlAdded = true;
        break;
    }
  }

  /**
   * `fastPath`: puts the OpenAI-compatible routes in front of the HTTP server's request listener
   * (Nest's platform), below the global prefix; `authorize` receives the Node.js request.
   */
  onApplicationBootstrap(): void {
    if (!this.http?.options.fastPath) return;
    installFastPath(this.adapterHost?.httpAdapter?.getHttpServer(), this.http, {
      prefix: globalPrefix(this.appConfig),
      subjectOf: (req) => req,
    });
  }

  /**
   * Ends the open dashboard event streams, which the HTTP server would otherwise wait for when it
   * closes (a dashboard request after this gets a 503). Runs before the server and the client close.
   */
  async onModuleDestroy(): Promise<void> {
    await this.http?.close();
  }

  /**
   * Drains the client the module created, before the HTTP server closes: readiness answers 503 at
   * once, new calls are refused, calls in flight get `drainMs` to finish and are then aborted, so
   * the server is not held open by a hung upstream.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.handle.owned)
      await this.handle.client.close(this.drainMs === undefined ? {} : { drainMs: this.drainMs });
  }

  /** Closes the client, when the module created it (already drained: this only waits for it). */
  async onApplicationShutdown(): Promise<void> {
    if (this.handle.owned) await this.handle.client.close();
  }
}
