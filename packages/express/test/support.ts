/**
 * Mock providers, configs and requests for the Express and Koa integration tests (the Koa tests import
 * this file too). Servers come from `listen()` of `@ai-failover/testing`.
 */
import type { AiFailoverConfig, PolicyConfig } from '@ai-failover/core';
import { MockProvider, type MockProviderOptions } from '@ai-failover/testing';

export const APP_TOKEN = 'app-token';
export const hello = { messages: [{ role: 'user' as const, content: 'hello there' }] };

/** Mock providers `a` (primary) and `b` (secondary) and a config with group `gpt-4.1` over them. */
export async function providers(
  names: string[] = ['a', 'b'],
  options: MockProviderOptions = {},
): Promise<{
  mocks: MockProvider[];
  config(policy?: PolicyConfig): AiFailoverConfig;
  close(): Promise<void>;
}> {
  const mocks = await Promise.all(names.map((name) => MockProvider.start({ name, ...options })));
  return {
    mocks,
    config: (policy = {}) => ({
      providers: mocks.map((m, i) => ({
        id: names[i]!,
        baseUrl: m.baseUrl,
        apiKey: `key-${names[i]}-secret-0001`,
      })),
      models: {
        'gpt-4.1': { deployments: names.map((name) => ({ provider: name, model: 'gpt-4.1' })) },
        embed: { deployments: [{ provider: names[0]!, model: 'text-embedding-3-small' }] },
      },
      policy: { retries: 0, backoff: { baseMs: 1, maxMs: 5 }, ...policy },
    }),
    close: async () => {
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

/** POSTs JSON (or raw text) and returns the response. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
