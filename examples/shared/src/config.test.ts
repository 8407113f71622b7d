import { resolveConfig } from '@ai-failover/core';
import { loadConfig } from './config';

const OPENAI_KEY = 'sk-test-openai-0000000000';
const DEEPSEEK_KEY = 'sk-test-deepseek-0000000000';

describe('loadConfig', () => {
  it('builds OpenAI and DeepSeek providers in group `chat` when their keys are set, without starting mocks', async () => {
    const env = { OPENAI_API_KEY: OPENAI_KEY, DEEPSEEK_API_KEY: DEEPSEEK_KEY };
    const { config, mocks, mode } = await loadConfig(env);

    expect(mode).toBe('live');
    expect(mocks).toEqual([]);
    expect(config.providers).toEqual([
      { id: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: { env: 'OPENAI_API_KEY' } },
      { id: 'deepseek', baseUrl: 'https://api.deepseek.com/v1', apiKey: { env: 'DEEPSEEK_API_KEY' } },
    ]);
    expect(config.models).toEqual({
      chat: {
        deployments: [
          { provider: 'openai', model: 'gpt-4.1-mini', price: { input: 0.4, output: 1.6 } },
          { provider: 'deepseek', model: 'deepseek-chat', price: { input: 0.27, output: 1.1 } },
        ],
      },
    });
    // The keys stay in the environment: the config only names them.
    expect(JSON.stringify(config)).not.toContain('sk-test');

    // The config is valid, and the client would read the keys from the environment it is given.
    const resolved = resolveConfig(config, env);
    expect(resolved.providers.get('openai')?.keys).toEqual([OPENAI_KEY]);
    expect(resolved.providers.get('deepseek')?.keys).toEqual([DEEPSEEK_KEY]);
    expect(resolved.models.get('chat')?.deployments.map((d) => d.id)).toEqual([
      'openai/gpt-4.1-mini',
      'deepseek/deepseek-chat',
    ]);
  });

  it('builds one provider when only one key is set', async () => {
    const { config } = await loadConfig({ DEEPSEEK_API_KEY: DEEPSEEK_KEY });
    expect(config.providers.map((provider) => provider.id)).toEqual(['deepseek']);
  });

  it('adds any OpenAI-compatible endpoint from AI_BASE_URL, AI_API_KEY and AI_MODEL', async () => {
    const env = {
      OPENAI_API_KEY: OPENAI_KEY,
      AI_BASE_URL: 'https://api.groq.com/openai/v1',
      AI_API_KEY: 'gsk-test-0000',
      AI_MODEL: 'llama-3.3-70b-versatile',
    };
    const { config, mode } = await loadConfig(env);
    expect(mode).toBe('live');
    expect(config.providers.at(-1)).toEqual({
      id: 'custom',
      baseUrl: 'https://api.groq.com/openai/v1',
      apiKey: { env: 'AI_API_KEY' },
    });
    expect(config.models.chat?.deployments.map((d) => `${d.provider}/${d.model}`)).toEqual([
      'openai/gpt-4.1-mini',
      'custom/llama-3.3-70b-versatile',
    ]);
    expect(resolveConfig(config, env).providers.get('custom')?.keys).toEqual(['gsk-test-0000']);
  });

  it('names what is missing when the OpenAI-compatible endpoint is incomplete', async () => {
    await expect(loadConfig({ AI_BASE_URL: 'https://example.test/v1', AI_API_KEY: 'k' })).rejects.toThrow(
      /missing: AI_MODEL/,
    );
  });

  it('starts two mock providers on 127.0.0.1 when no key is set', async () => {
    const { config, mocks, mode } = await loadConfig({});
    try {
      expect(mode).toBe('offline');
      expect(config.providers.map((provider) => provider.id)).toEqual(['primary', 'secondary']);
      expect(config.providers.map((provider) => provider.baseUrl)).toEqual(mocks.map((mock) => mock.baseUrl));
      for (const mock of mocks) expect(mock.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(resolveConfig(config).models.get('chat')?.deployments).toHaveLength(2);
    } finally {
      await Promise.all(mocks.map((mock) => mock.close()));
    }
  });

  it('refuses a MOCK_FAIL_RATE outside 0..1', async () => {
    await expect(loadConfig({ MOCK_FAIL_RATE: '2' })).rejects.toThrow(/MOCK_FAIL_RATE/);
  });
});
