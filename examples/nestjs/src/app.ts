/**
 * The NestJS app: `POST /chat`, `GET /chat/stream` (`@Sse()`), a page at `/` that uses it, the
 * health routes of `AiFailoverModule`, and the OpenAI-compatible API, served by the Express
 * middleware of ai-failover on the module's client (Nest runs on Express here).
 */
import 'reflect-metadata';
import type { AiClient } from '@ai-failover/core';
import { aiFailover } from '@ai-failover/express';
import { AI_FAILOVER_CLIENT } from '@ai-failover/nestjs';
import type { NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { appModule } from './app.module';
import type { LoadedConfig } from './config';
import { EXAMPLE_CONFIG } from './example-config.module';

export interface ExampleApp {
  app: NestExpressApplication;
  /** The config the app was built from; `loaded.mocks` are the offline mock providers. */
  loaded: LoadedConfig;
}

export interface CreateAppOptions {
  /** Where API keys are looked for (default `process.env`). */
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
  const client = app.get<AiClient>(AI_FAILOVER_CLIENT);
  app.use(
    aiFailover(client, {
      health: false,
      openai: {
        authorize: (req) => req.headers.authorization === `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}`,
      },
    }),
  );
  return { app, loaded: app.get<LoadedConfig>(EXAMPLE_CONFIG) };
}
