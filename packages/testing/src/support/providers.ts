/**
 * Mock providers and a config over them, and requests to an app's routes: the set-up the Express
 * and Koa adapter tests share.
 */
import type { AiFailoverConfig, PolicyConfig } from '@ai-failover/core';
import { MockProvider } from '../mock-provider';
import type { MockProviderOptions } from '../types';

/** The bearer token {@link post} sends. */
export const APP_TOKEN = 'app-token';

/** A one-message chat request. */
export const hello = { messages: [{ role: 'user' as const, content: 'hello there' }] };

/** Mock providers started by {@link providers}, and a config over them. */
export interface MockProviders {
  mocks: MockProvider[];
  /**
   * A config with provider ids `names`, group `gpt-4.1` over every provider in that order, and
   * group `embed` on the first; `policy` merges into `{ retries: 0, backoff: { baseMs: 1, maxMs: 5 } }`.
   */
  config(policy?: PolicyConfig): AiFailoverConfig;
  close(): Promise<void>;
}

/** Starts one mock provider per name (default `a`, the primary, and `b`). */
export async function providers(
  names: string[] = ['a', 'b'],
  options: MockProviderOptions = {},
): Promise<MockProviders> {
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

/** POSTs JSON (or raw text) with `Authorization: Bearer {@link APP_TOKEN}` and returns the response. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${APP_TOKEN}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
