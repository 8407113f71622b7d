import type { IncomingMessage } from 'node:http';
import type { LoadedConfig } from '@ai-failover/example-shared';
import { AiFailoverModule } from '@ai-failover/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { ChatController } from './chat.controller';
import { EXAMPLE_CONFIG, exampleConfigModule } from './example-config.module';
import { PageController } from './page.controller';

@Module({})
export class AppModule {}

/**
 * The app's root module, with its config read from `env` (API keys, or offline mock providers) and
 * the token of the OpenAI-compatible API from `env.APP_TOKEN` (default `dev-token`).
 */
export function appModule(env: NodeJS.ProcessEnv = process.env): DynamicModule {
  const appToken = env.APP_TOKEN ?? 'dev-token';
  const holdsToken = (req: IncomingMessage) => req.headers.authorization === `Bearer ${appToken}`;
  return {
    module: AppModule,
    imports: [
      // GET /health, /health/live, /health/ready; AiFailoverService; typed errors as JSON;
      // the OpenAI-compatible API under /v1 for holders of the token.
      AiFailoverModule.forRootAsync({
        imports: [exampleConfigModule(env)],
        inject: [EXAMPLE_CONFIG],
        // EXAMPLE_CONFIG is what `await loadConfig(env)` resolved to.
        useFactory: (loaded: LoadedConfig) => loaded.config,
        exceptionFilter: true,
        openai: { authorize: holdsToken },
        health: { authorize: holdsToken },
      }),
    ],
    controllers: [ChatController, PageController],
  };
}
