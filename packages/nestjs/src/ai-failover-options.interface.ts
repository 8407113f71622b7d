import type { AiClient, AiFailoverConfig } from '@ai-failover/core';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';

/** A client the app built itself; the module uses it but leaves closing it to the app. */
export interface AiFailoverClientOption {
  client: AiClient;
}

/**
 * What the module builds its client from: a configuration, or a client the app built (as is, or
 * as `{ client }`), which the module then leaves to the app to close.
 */
export type AiFailoverModuleConfig = AiFailoverConfig | AiFailoverClientOption | AiClient;

/** Where the health controller is mounted, or `false` for no controller. */
export type AiFailoverHealthOption = { path?: string } | false;

/** Options of `AiFailoverModule.forRoot()` besides the configuration. */
export interface AiFailoverModuleOptions {
  /** Make `AiFailoverService` and the tokens injectable in every module (default `false`). */
  isGlobal?: boolean;
  /**
   * Mount `GET /<path>`, `/<path>/live` and `/<path>/ready` (default path `health`);
   * `false` mounts nothing.
   */
  health?: AiFailoverHealthOption;
  /** Register `AiFailoverExceptionFilter` for the whole app (default `false`). */
  exceptionFilter?: boolean;
}

/** A class that builds the module configuration (for `forRootAsync({ useClass })`). */
export interface AiFailoverOptionsFactory {
  createAiFailoverOptions(): AiFailoverModuleConfig | Promise<AiFailoverModuleConfig>;
}

/** Options of `AiFailoverModule.forRootAsync()`: exactly one of `useFactory`, `useClass`, `useExisting`. */
export interface AiFailoverModuleAsyncOptions extends AiFailoverModuleOptions {
  /** Modules whose providers the factory needs (e.g. `ConfigModule`). */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to `useFactory`, in order. */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Returns the configuration, possibly asynchronously; receives the `inject` providers. */
  useFactory?: (...args: never[]) => AiFailoverModuleConfig | Promise<AiFailoverModuleConfig>;
  /** A class the module instantiates to build the configuration. */
  useClass?: Type<AiFailoverOptionsFactory>;
  /** An existing provider that builds the configuration. */
  useExisting?: InjectionToken<AiFailoverOptionsFactory>;
}
