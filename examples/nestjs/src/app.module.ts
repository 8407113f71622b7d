import { AiFailoverModule } from '@ai-failover/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { ChatController } from './chat.controller';
import type { LoadedConfig } from './config';
import { EXAMPLE_CONFIG, exampleConfigModule } from './example-config.module';
import { PageController } from './page.controller';

@Module({})
export class AppModule {}

/** The app's root module, with its config read from `env` (API keys, or offline mock providers). */
export function appModule(env: NodeJS.ProcessEnv = process.env): DynamicModule {
  return {
    module: AppModule,
    imports: [
      // GET /health, /health/live, /health/ready; AiFailoverService; typed errors as JSON.
      AiFailoverModule.forRootAsync({
        imports: [exampleConfigModule(env)],
        inject: [EXAMPLE_CONFIG],
        // EXAMPLE_CONFIG is what `await loadConfig(env)` resolved to.
        useFactory: (loaded: LoadedConfig) => loaded.config,
        exceptionFilter: true,
      }),
    ],
    controllers: [ChatController, PageController],
  };
}
