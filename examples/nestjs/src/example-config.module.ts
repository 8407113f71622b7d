/**
 * Loads the example's config once, while the app boots, and closes the offline mock providers
 * when the app shuts down. `EXAMPLE_CONFIG` is the `LoadedConfig` (config, mocks, mode).
 */

import { type LoadedConfig, loadConfig } from '@ai-failover/example-shared';
import { type DynamicModule, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';

export const EXAMPLE_CONFIG = Symbol('EXAMPLE_CONFIG');

@Injectable()
export class OfflineMocks implements OnApplicationShutdown {
  constructor(@Inject(EXAMPLE_CONFIG) private readonly loaded: LoadedConfig) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.loaded.mocks.map((mock) => mock.close()));
  }
}

@Module({})
export class ExampleConfigModule {}

/** The module, with the config read from `env`. */
export function exampleConfigModule(env: NodeJS.ProcessEnv = process.env): DynamicModule {
  return {
    module: ExampleConfigModule,
    providers: [{ provide: EXAMPLE_CONFIG, useFactory: () => loadConfig(env) }, OfflineMocks],
    exports: [EXAMPLE_CONFIG],
  };
}
