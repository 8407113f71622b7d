import { AiClient, type AiFailoverConfig, ConfigError } from '@ai-failover/core';
import { isAiClient } from '@ai-failover/core/http';
import type { FactoryProvider, Provider } from '@nestjs/common';
import { AI_FAILOVER_CLIENT, AI_FAILOVER_CLIENT_HANDLE, AI_FAILOVER_OPTIONS } from './ai-failover.constants';
import type {
  AiFailoverClientOption,
  AiFailoverModuleAsyncOptions,
  AiFailoverModuleConfig,
  AiFailoverOptionsFactory,
} from './ai-failover-options.interface';

/** The module's client, and whether the module created it. */
export interface AiFailoverClientHandle {
  readonly client: AiClient;
  /** `true` when the module built the client from a config, and so closes it on shutdown. */
  readonly owned: boolean;
}

/** Builds the client; an invalid config throws its `ConfigError`, which fails the app's bootstrap. */
export function createClientHandle(config: AiFailoverModuleConfig): AiFailoverClientHandle {
  if (isAiClient(config)) return { client: config, owned: false };
  const given = (config as Partial<AiFailoverClientOption> | null | undefined)?.client;
  if (given !== undefined) {
    if (!isAiClient(given)) {
      throw new ConfigError([{ path: 'client', message: 'must be an AiClient (from createAiClient())' }]);
    }
    return { client: given, owned: false };
  }
  return { client: new AiClient(config as AiFailoverConfig), owned: true };
}

/** The client providers built from the `AI_FAILOVER_OPTIONS` provider. */
export function createClientProviders(): Provider[] {
  return [
    { provide: AI_FAILOVER_CLIENT_HANDLE, useFactory: createClientHandle, inject: [AI_FAILOVER_OPTIONS] },
    {
      provide: AI_FAILOVER_CLIENT,
      useFactory: (handle: AiFailoverClientHandle) => handle.client,
      inject: [AI_FAILOVER_CLIENT_HANDLE],
    },
  ];
}

/** The `AI_FAILOVER_OPTIONS` provider (and the factory class, for `useClass`) of `forRootAsync`. */
export function createAsyncOptionsProviders(options: AiFailoverModuleAsyncOptions): Provider[] {
  const chosen = [options.useFactory, options.useClass, options.useExisting].filter((x) => x !== undefined);
  if (chosen.length !== 1) {
    throw new TypeError(
      `AiFailoverModule.forRootAsync() needs exactly one of useFactory, useClass or useExisting, got ${chosen.length}`,
    );
  }
  if (options.useFactory) {
    const factory: FactoryProvider<AiFailoverModuleConfig> = {
      provide: AI_FAILOVER_OPTIONS,
      useFactory: options.useFactory as (...args: unknown[]) => Promise<AiFailoverModuleConfig>,
      inject: options.inject ?? [],
    };
    return [factory];
  }
  const fromFactory = (factory: AiFailoverOptionsFactory) => factory.createAiFailoverOptions();
  if (options.useClass) {
    return [
      { provide: AI_FAILOVER_OPTIONS, useFactory: fromFactory, inject: [options.useClass] },
      { provide: options.useClass, useClass: options.useClass },
    ];
  }
  return [{ provide: AI_FAILOVER_OPTIONS, useFactory: fromFactory, inject: [options.useExisting!] }];
}
