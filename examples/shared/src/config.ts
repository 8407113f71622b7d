/**
 * The ai-failover config of the example. With API keys in the environment it talks to real
 * providers; without any, it starts two mock providers on 127.0.0.1 so the app runs offline.
 *
 * - `OPENAI_API_KEY`: OpenAI, `gpt-4.1-mini`;
 * - `DEEPSEEK_API_KEY`: DeepSeek, `deepseek-chat`;
 * - `AI_BASE_URL`, `AI_API_KEY` and `AI_MODEL`: any OpenAI-compatible endpoint (Groq, OpenRouter,
 *   a relay, a local server...).
 *
 * Every provider that has a key joins the model group `chat`, tried in that order. Offline,
 * `MOCK_FAIL_RATE=0.5` makes the primary mock answer that share of requests with a 503.
 */
import type { AiFailoverConfig, DeploymentConfig, ProviderConfig } from '@ai-failover/core';
import { fault, MockProvider } from '@ai-failover/testing';

export type Mode = 'offline' | 'live';

export interface LoadedConfig {
  config: AiFailoverConfig;
  /** The mock providers of offline mode (`primary`, `secondary`); empty in live mode. Close them on shutdown. */
  mocks: MockProvider[];
  mode: Mode;
}

const OFFLINE_REPLY =
  'This answer comes from an offline mock provider. Set OPENAI_API_KEY, DEEPSEEK_API_KEY, ' +
  'or AI_BASE_URL with AI_API_KEY and AI_MODEL, to talk to a real model.';

/**
 * Builds the config from `env`. API keys go into the config as `{ env: 'NAME' }`: the client
 * reads them from `process.env` when it starts, and they never appear in the config itself.
 * Nothing here calls a provider.
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  const live = liveProviders(env);
  if (live.providers.length > 0) {
    return {
      config: { providers: live.providers, models: { chat: { deployments: live.deployments } } },
      mocks: [],
      mode: 'live',
    };
  }
  return offline(env);
}

/** One provider and its deployment in group `chat` for each provider that has a key. */
function liveProviders(env: NodeJS.ProcessEnv): {
  providers: ProviderConfig[];
  deployments: DeploymentConfig[];
} {
  const providers: ProviderConfig[] = [];
  const deployments: DeploymentConfig[] = [];
  if (env.OPENAI_API_KEY) {
    providers.push({ id: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: { env: 'OPENAI_API_KEY' } });
    deployments.push({ provider: 'openai', model: 'gpt-4.1-mini', price: { input: 0.4, output: 1.6 } });
  }
  if (env.DEEPSEEK_API_KEY) {
    providers.push({
      id: 'deepseek',
      baseUrl: 'https://api.deepseek.com/v1',
      apiKey: { env: 'DEEPSEEK_API_KEY' },
    });
    deployments.push({ provider: 'deepseek', model: 'deepseek-chat', price: { input: 0.27, output: 1.1 } });
  }
  if (env.AI_BASE_URL || env.AI_API_KEY) {
    if (!env.AI_BASE_URL || !env.AI_API_KEY || !env.AI_MODEL) {
      throw new Error(
        'An OpenAI-compatible endpoint needs AI_BASE_URL, AI_API_KEY and AI_MODEL together ' +
          `(missing: ${['AI_BASE_URL', 'AI_API_KEY', 'AI_MODEL'].filter((name) => !env[name]).join(', ')})`,
      );
    }
    providers.push({ id: 'custom', baseUrl: env.AI_BASE_URL, apiKey: { env: 'AI_API_KEY' } });
    deployments.push({ provider: 'custom', model: env.AI_MODEL });
  }
  return { providers, deployments };
}

/** Two mock providers on 127.0.0.1 and a config that fails over from one to the other. */
async function offline(env: NodeJS.ProcessEnv): Promise<LoadedConfig> {
  const failRate = Number(env.MOCK_FAIL_RATE ?? 0);
  if (!(failRate >= 0 && failRate <= 1)) {
    throw new Error(`MOCK_FAIL_RATE must be a number from 0 to 1, got "${env.MOCK_FAIL_RATE}"`);
  }
  const primary = await MockProvider.start({
    name: 'primary',
    latencyMs: { min: 20, max: 60 },
    chunkDelayMs: 25,
    content: OFFLINE_REPLY,
  });
  const secondary = await MockProvider.start({
    name: 'secondary',
    latencyMs: { min: 40, max: 90 },
    chunkDelayMs: 25,
    content: OFFLINE_REPLY,
  }).catch(async (error: unknown) => {
    await primary.close();
    throw error;
  });
  if (failRate > 0) primary.handle(() => (Math.random() < failRate ? fault.status(503) : undefined));
  return {
    config: {
      providers: [
        { id: 'primary', baseUrl: primary.baseUrl, apiKey: 'offline-key' },
        { id: 'secondary', baseUrl: secondary.baseUrl, apiKey: 'offline-key' },
      ],
      models: {
        chat: {
          deployments: [
            { provider: 'primary', model: 'gpt-4.1-mini', price: { input: 0.4, output: 1.6 } },
            { provider: 'secondary', model: 'gpt-4.1-mini', price: { input: 0.4, output: 1.6 } },
          ],
        },
      },
      policy: {
        backoff: { baseMs: 50, maxMs: 500 },
        breaker: { volumeThreshold: 5, resetTimeoutMs: 5_000, rollingWindowMs: 10_000 },
      },
    },
    mocks: [primary, secondary],
    mode: 'offline',
  };
}

/** How main.ts describes the mode: `offline: mock providers` or `live: openai, deepseek`. */
export function describeMode(loaded: LoadedConfig): string {
  if (loaded.mode === 'offline') return 'offline: mock providers';
  return `live: ${loaded.config.providers.map((provider) => provider.id).join(', ')}`;
}
