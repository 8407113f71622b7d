/** Shared helpers of the Nest adapter's tests: mock providers, configs and apps on real ports. */
import 'reflect-metadata';
import type { AiFailoverConfig, ModelGroupConfig, PolicyConfig, ProviderConfig } from '@ai-failover/core';
import { MockProvider, type MockProviderOptions } from '@ai-failover/testing';
import { activeResources } from '@ai-failover/testing/support';
import type { INestApplication, ModuleMetadata, NestApplicationOptions } from '@nestjs/common';
import type { AbstractHttpAdapter } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

export { activeResources, hello, parseSse } from '@ai-failover/testing/support';

/** Starts one mock per name; each mock's name is also its provider id. */
export async function startMocks(
  names: string[],
  options: MockProviderOptions = {},
): Promise<Record<string, MockProvider>> {
  const mocks = await Promise.all(names.map((name) => MockProvider.start({ ...options, name })));
  return Object.fromEntries(mocks.map((mock) => [mock.name, mock]));
}

export function providerOf(mock: MockProvider): ProviderConfig {
  return { id: mock.name, baseUrl: mock.baseUrl, apiKey: `sk-test-${mock.name}-0123456789abcdef` };
}

/** A group per mock, named after it, with one deployment `<name>/<name>-model`. */
export function configFor(
  mocks: Record<string, MockProvider>,
  overrides: { policy?: PolicyConfig; models?: Record<string, ModelGroupConfig> } = {},
): AiFailoverConfig {
  const models: Record<string, ModelGroupConfig> = {};
  for (const name of Object.keys(mocks)) {
    models[name] = { deployments: [{ provider: name, model: `${name}-model` }] };
  }
  return {
    providers: Object.values(mocks).map(providerOf),
    models: { ...models, ...overrides.models },
    policy: { retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...overrides.policy },
  };
}

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** The HTTP platforms the e2e tests run on. */
export type Platform = 'express' | 'fastify';

/** Creates the HTTP adapter of an app; `forceCloseConnections` is the app's option of that name. */
export type AdapterFactory = (options: { forceCloseConnections: boolean }) => AbstractHttpAdapter;

const expressAdapter: AdapterFactory = () => new ExpressAdapter();

/**
 * Each platform with the factory of its adapter, for `describe.each(PLATFORMS)`. Fastify takes
 * `forceCloseConnections` as an option of its own, not from the Nest application's options.
 */
export const PLATFORMS: ReadonlyArray<readonly [Platform, AdapterFactory]> = [
  ['express', expressAdapter],
  ['fastify', ({ forceCloseConnections }) => new FastifyAdapter({ forceCloseConnections })],
];

/** How `startApp` creates the app: its adapter, its options, and what to do before it listens. */
export interface StartOptions {
  /** The HTTP adapter (default: Express). */
  adapter?: AdapterFactory;
  /** Options of `createNestApplication()` (default: no logger, `forceCloseConnections: true`). */
  app?: NestApplicationOptions;
  /** Runs before `listen()`, e.g. `setGlobalPrefix()`. */
  setup?: (app: INestApplication) => void;
}

/** Compiles `metadata` into an app on the chosen adapter, listening on an ephemeral port of 127.0.0.1. */
export async function startApp(metadata: ModuleMetadata, options: StartOptions = {}): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule(metadata).compile();
  // A fetch that was aborted can leave an idle connection behind, which the server would wait for.
  const appOptions: NestApplicationOptions = { logger: false, forceCloseConnections: true, ...options.app };
  const createAdapter = options.adapter ?? expressAdapter;
  const adapter = createAdapter({ forceCloseConnections: appOptions.forceCloseConnections === true });
  const app = moduleRef.createNestApplication(adapter, appOptions);
  options.setup?.(app);
  await app.listen(0, '127.0.0.1');
  if (adapter instanceof FastifyAdapter) await adapter.getInstance().ready();
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, close: () => app.close() };
}

/** `startApp` on the adapter `createAdapter` makes, unless the options name another. */
export function appStarter(
  createAdapter: AdapterFactory,
): (metadata: ModuleMetadata, options?: StartOptions) => Promise<RunningApp> {
  return (metadata, options = {}) => startApp(metadata, { adapter: createAdapter, ...options });
}

export async function closeAll(mocks: Record<string, MockProvider>): Promise<void> {
  await Promise.all(Object.values(mocks).map((mock) => mock.close()));
}

/** Handle counts once the handles of what just closed are gone from the list. */
export async function baselineResources(): Promise<Record<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  return activeResources();
}

/**
 * Waits (up to `timeoutMs`) until no handle kind of `kinds` is above `limit`; returns the kinds
 * that still are (an empty object when none is).
 */
export async function handlesAbove(
  limit: Record<string, number>,
  kinds: readonly string[],
  timeoutMs = 2000,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = activeResources();
    const above = Object.fromEntries(
      kinds.filter((kind) => (now[kind] ?? 0) > (limit[kind] ?? 0)).map((kind) => [kind, now[kind] ?? 0]),
    );
    if (Object.keys(above).length === 0 || Date.now() > deadline) return above;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
