import type { IncomingMessage } from 'node:http';
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

/**
 * Where the health controller is mounted and who sees the whole report (`authorize`; everyone else
 * gets the status only), or `false` for no controller.
 */
export type AiFailoverHealthOption = { path?: string; authorize?: AiFailoverAuthorize } | false;

/**
 * Decides whether a request may use a route; only `true` lets it through. It receives the Node.js
 * request Nest hands middleware (the Express request on platform-express, the raw request on
 * Fastify), e.g. `(req) => req.headers.authorization === 'Bearer ' + token`.
 */
export type AiFailoverAuthorize = (req: IncomingMessage) => boolean | Promise<boolean>;

/**
 * The OpenAI-compatible routes: `POST {path}/chat/completions` (JSON, or server-sent events with
 * `stream: true`), `POST {path}/embeddings`, `GET {path}/models` and `GET {path}/models/{id}`.
 */
export interface AiFailoverOpenAiOptions {
  /** Path prefix, relative to the global prefix like a controller's (default `/v1`; `v1` works too). */
  path?: string;
  /**
   * Who may use the routes; anything but `true` answers 401, a throw answers 500 without its
   * message. Required, so the routes are never open to anyone by accident.
   */
  authorize: AiFailoverAuthorize;
  /**
   * Largest request body the routes read themselves: bytes, or a size like `'512kb'` (default
   * 1 MiB). A JSON body Nest's body parser already read is bound by that parser's limit instead.
   */
  bodyLimit?: number | string;
  /** Longest time a body the routes read themselves may take to arrive, in ms (default 30 000; 408 after). */
  bodyTimeoutMs?: number;
  /** Model groups the routes expose (default: every configured group). */
  models?: readonly string[];
}

/** The live dashboard: a page at `{path}`, its server-sent events at `{path}/events`. */
export interface AiFailoverDashboardOptions {
  /** Path of the page, relative to the global prefix (default `/ai-failover`). */
  path?: string;
  /** Who may see it; anything but `true` answers 401. Without it the page is open to anyone. */
  authorize?: AiFailoverAuthorize;
  /** Period of the live snapshots in ms (default 1 000; 100 to 60 000). */
  intervalMs?: number;
  /** Page title (default `ai-failover`). */
  title?: string;
}

/** The Prometheus route, served only when the client has metrics on (`metrics` in the config). */
export interface AiFailoverMetricsOptions {
  /** Path, relative to the global prefix (default `/metrics`). */
  path?: string;
}

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
  /** Serve the OpenAI-compatible routes (off unless given; `authorize` is required). */
  openai?: AiFailoverOpenAiOptions | false;
  /** Serve the live dashboard (off unless given; `true`: at `/ai-failover`, open to anyone). */
  dashboard?: AiFailoverDashboardOptions | boolean;
  /**
   * Serve `GET /metrics` (Prometheus text). On by default when the client has metrics on;
   * `false` turns it off.
   */
  metrics?: AiFailoverMetricsOptions | boolean;
  /**
   * When the app shuts down (`app.close()`, or a signal with `enableShutdownHooks()`), how long
   * calls in flight may finish before they are aborted, in ms (default 10 000). Readiness answers
   * 503 from the start of the shutdown. Applies to a client the module created.
   */
  drainMs?: number;
  /**
   * Serve the OpenAI-compatible routes before Nest (default `false`): once the app has
   * bootstrapped, the HTTP server's request listener answers them itself, so they skip Nest's
   * router, middleware, guards, interceptors, pipes and filters (and the platform's body parser).
   * `openai.authorize` still runs, on the Node.js request. Needs `openai`.
   */
  fastPath?: boolean;
}

/** The module options the HTTP middleware is built from. */
export type AiFailoverHttpOptions = Pick<
  AiFailoverModuleOptions,
  'openai' | 'dashboard' | 'metrics' | 'fastPath'
>;

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
