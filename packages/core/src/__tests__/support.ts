/** Shared helpers of the core's integration tests: mock providers and clients wired to them. */
import { MockProvider, type MockProviderOptions } from '@ai-failover/testing';
import {
  AiClient,
  type AiClientOptions,
  type AiFailoverConfig,
  type Clock,
  type ModelGroupConfig,
  type PolicyConfig,
} from '..';

export { activeResources, hello } from '@ai-failover/testing/support';

export interface Harness {
  mocks: MockProvider[];
  client: AiClient;
  close(): Promise<void>;
}

/** Starts `names.length` mock providers and a client with one group `chat` over them, in that order. */
export async function harness(
  names: string[],
  overrides: {
    policy?: PolicyConfig;
    group?: Partial<ModelGroupConfig>;
    mock?: MockProviderOptions;
    extraModels?: AiFailoverConfig['models'];
    config?: Partial<AiFailoverConfig>;
    client?: AiClientOptions;
  } = {},
): Promise<Harness> {
  const mocks = await Promise.all(names.map((name) => MockProvider.start({ name, ...overrides.mock })));
  const client = new AiClient(
    {
      providers: mocks.map((m, i) => ({ id: names[i]!, baseUrl: m.baseUrl, apiKey: `key-${names[i]}-0001` })),
      models: {
        chat: {
          deployments: names.map((name) => ({
            provider: name,
            model: `${name}-model`,
            price: { input: 1, output: 2 },
          })),
          ...overrides.group,
        },
        ...overrides.extraModels,
      },
      policy: { backoff: { baseMs: 5, maxMs: 20 }, ...overrides.policy },
      ...overrides.config,
    },
    overrides.client,
  );
  return {
    mocks,
    client,
    async close() {
      await client.close();
      await Promise.all(mocks.map((m) => m.close()));
    },
  };
}

/** A clock that moves only when told to: cooldowns and breaker periods pass without sleeping. */
export class ManualClock implements Clock {
  #now = Date.now();
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/**
 * Resolves with `performance.now()` at the client's next breaker event of that kind. A breaker turns
 * half-open on opossum's reset timer, in real time: tests wait for it rather than move a clock.
 */
export function nextBreakerEvent(
  client: AiClient,
  event: 'breakerOpen' | 'breakerHalfOpen' | 'breakerClose',
): Promise<number> {
  return new Promise((resolve) => {
    const off = client.on(event, () => {
      off();
      resolve(performance.now());
    });
  });
}
