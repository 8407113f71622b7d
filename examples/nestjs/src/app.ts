/**
 * The NestJS app: `POST /chat`, `GET /chat/stream` (`@Sse()`), a page at `/` that uses it, and the
 * health routes and OpenAI-compatible API of `AiFailoverModule`.
 */
import 'reflect-metadata';
import type { LoadedConfig } from '@ai-failover/example-shared';
import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { appModule } from './app.module';
import { EXAMPLE_CONFIG } from './example-config.module';

export interface ExampleApp {
  app: NestExpressApplication;
  /** The config the app was built from; `loaded.mocks` are the offline mock providers. */
  loaded: LoadedConfig;
}

export interface CreateAppOptions {
  /** Where API keys and `APP_TOKEN` are looked for (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  logger?: NestApplicationOptions['logger'];
}

/** Builds the app (not listening yet). `app.close()` closes the client and the mock providers. */
export async function createApp(options: CreateAppOptions = {}): Promise<ExampleApp> {
  const app = await NestFactory.create<NestExpressApplication>(appModule(options.env), {
    // An open SSE stream or keep-alive connection would otherwise hold app.close() back.
    forceCloseConnections: true,
    abortOnError: false,
    logger: options.logger,
  });
  // Nest's JSON body parser reads the bodies of the OpenAI routes too; its default limit (100 kb)
  // is below what a long conversation takes, so it gets the routes' own default, 1 MiB.
  app.useBodyParser('json', { limit: '1mb' });
  return { app, loaded: app.get<LoadedConfig>(EXAMPLE_CONFIG) };
}
