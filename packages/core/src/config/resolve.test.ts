import { inspect } from 'node:util';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../errors';
import type { AiFailoverConfig, Logger, ResolvedConfig } from '../types';
import { DEFAULTS, formatPath, resolveConfig } from './resolve';
import type { configSchema } from './schema';

const ENV: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-env-openai', GROQ_KEY: 'gsk-env-groq' };
const SECRET = 'sk-test-SECRET123';
const REMOVE = Symbol('remove');

type Path = readonly (string | number)[];
type Container = Record<string | number, unknown>;

function baseConfig(): AiFailoverConfig {
  return {
    providers: [
      { id: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: { env: 'OPENAI_API_KEY' } },
      { id: 'groq', baseUrl: 'https://api.groq.com/openai/v1/', apiKey: ['gsk-1', 'gsk-2'] },
    ],
    models: {
      smart: {
        deployments: [
          { provider: 'openai', model: 'gpt-4.1' },
          { provider: 'groq', model: 'llama-3.3-70b' },
        ],
        fallbacks: ['fast'],
      },
      fast: { deployments: [{ provider: 'groq', model: 'llama-3.1-8b' }] },
    },
  };
}

/** The base config with the value at `path` replaced (or removed with `REMOVE`). */
function withValue(path: Path, value: unknown): Container {
  const config = baseConfig() as unknown as Container;
  let target = config;
  for (const key of path.slice(0, -1)) {
    target[key] ??= {};
    target = target[key] as Container;
  }
  const last = path[path.length - 1]!;
  if (value === REMOVE) delete target[last];
  else target[last] = value;
  return config;
}

/** The base config with the key at `path` renamed to `to`. */
function withRenamed(path: Path, to: string): Container {
  const config = baseConfig() as unknown as Container;
  let target = config;
  for (const key of path.slice(0, -1)) target = target[key] as Container;
  const last = path[path.length - 1]!;
  target[to] = target[last];
  delete target[last];
  return config;
}

function configError(input: unknown, env: NodeJS.ProcessEnv = ENV): ConfigError {
  try {
    resolveConfig(input, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('resolveConfig accepted an invalid config');
}

function issuesOf(input: unknown, env: NodeJS.ProcessEnv = ENV): readonly ConfigIssue[] {
  return configError(input, env).issues;
}

function expectIssue(issues: readonly ConfigIssue[], path: string, message: RegExp): void {
  expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
}

describe('resolveConfig: invalid configs', () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['null config', null, '', /^the config must be an object, got null$/],
    ['array config', [], '', /must be an object, got an array/],
    ['no providers', withValue(['providers'], REMOVE), 'providers', /is required/],
    ['empty providers', withValue(['providers'], []), 'providers', /at least one provider/],
    [
      'provider not an object',
      withValue(['providers', 1], 'groq'),
      'providers[1]',
      /must be a provider object/,
    ],
    ['empty provider id', withValue(['providers', 0, 'id'], ''), 'providers[0].id', /must not be empty/],
    [
      'bad provider id',
      withValue(['providers', 0, 'id'], 'open ai'),
      'providers[0].id',
      /only letters, digits/,
    ],
    [
      'duplicate provider id',
      withValue(['providers', 1, 'id'], 'openai'),
      'providers[1].id',
      /duplicate provider id "openai"/,
    ],
    [
      'limits with a bad size',
      withValue(['limits'], { eventBytes: 'a lot' }),
      'limits.eventBytes',
      /must be a positive number of bytes or a size like "512kb" or "1mb", got "a lot"/,
    ],
    [
      'provider limits with a zero size',
      withValue(['providers', 0, 'limits'], { responseBytes: 0 }),
      'providers[0].limits.responseBytes',
      /must be a positive number of bytes/,
    ],
    [
      'provider limits with an unknown option',
      withValue(['providers', 0, 'limits'], { retryAfter: 5 }),
      'providers[0].limits.retryAfter',
      /unknown option; did you mean "retryAfterMs"\?/,
    ],
    [
      'a negative retryAfterMs',
      withValue(['limits', 'retryAfterMs'], -1),
      'limits.retryAfterMs',
      /must be a positive integer, got -1/,
    ],
    [
      'ftp baseUrl',
      withValue(['providers', 1, 'baseUrl'], 'ftp://files.example.com'),
      'providers[1].baseUrl',
      /must be an http\(s\) URL/,
    ],
    [
      'unparsable baseUrl',
      withValue(['providers', 1, 'baseUrl'], 'api.groq.com'),
      'providers[1].baseUrl',
      /must be an http\(s\) URL/,
    ],
    [
      'baseUrl with query',
      withValue(['providers', 0, 'baseUrl'], 'https://x.example.com/v1?key=1'),
      'providers[0].baseUrl',
      /without a query string/,
    ],
    [
      'baseUrl not a string',
      withValue(['providers', 0, 'baseUrl'], 42),
      'providers[0].baseUrl',
      /must be an http\(s\) URL, got a number/,
    ],
    [
      'misspelt baseUrl',
      withRenamed(['providers', 0, 'baseUrl'], 'baseURL'),
      'providers[0].baseURL',
      /^unknown option; did you mean "baseUrl"\?$/,
    ],
    [
      'empty literal key',
      withValue(['providers', 1, 'apiKey'], ''),
      'providers[1].apiKey',
      /^must not be empty$/,
    ],
    [
      'empty key array',
      withValue(['providers', 1, 'apiKey'], []),
      'providers[1].apiKey',
      /must not be an empty array/,
    ],
    [
      'duplicate literal key',
      withValue(['providers', 1, 'apiKey'], ['gsk-1', 'gsk-1']),
      'providers[1].apiKey[1]',
      /duplicate key/,
    ],
    [
      'duplicate key through env',
      withValue(['providers', 1, 'apiKey'], ['gsk-env-groq', { env: 'GROQ_KEY' }]),
      'providers[1].apiKey[1]',
      /GROQ_KEY holds the same key as apiKey\[0\]/,
    ],
    [
      'empty env name',
      withValue(['providers', 0, 'apiKey'], { env: '' }),
      'providers[0].apiKey.env',
      /must not be empty/,
    ],
    [
      'unset env var',
      withValue(['providers', 0, 'apiKey'], { env: 'MISSING_KEY' }),
      'providers[0].apiKey',
      /^environment variable MISSING_KEY is not set$/,
    ],
    [
      'unset env var in a list',
      withValue(['providers', 1, 'apiKey'], ['gsk-1', { env: 'NOPE' }]),
      'providers[1].apiKey[1]',
      /environment variable NOPE is not set/,
    ],
    [
      'apiKey of the wrong type',
      withValue(['providers', 0, 'apiKey'], 42),
      'providers[0].apiKey',
      /must be a key string, \{ env: "NAME" \} or an array of those, got a number/,
    ],
    [
      'bad env reference in a list',
      withValue(['providers', 1, 'apiKey'], ['gsk-1', { env: 5 }]),
      'providers[1].apiKey[1].env',
      /name of an environment variable, got 5/,
    ],
    [
      'unknown key in env reference',
      withValue(['providers', 0, 'apiKey'], { env: 'OPENAI_API_KEY', nam: 'x' }),
      'providers[0].apiKey.nam',
      /unknown option/,
    ],
    [
      'authorization header',
      withValue(['providers', 0, 'headers'], { authorization: 'Bearer x' }),
      'providers[0].headers.authorization',
      /apiKey/,
    ],
    [
      'non-string header',
      withValue(['providers', 0, 'headers'], { 'OpenAI-Organization': 5 }),
      'providers[0].headers["OpenAI-Organization"]',
      /must be a string, got a number/,
    ],
    [
      'header with line break',
      withValue(['providers', 0, 'headers'], { 'X-A': 'a\r\nX-B: b' }),
      'providers[0].headers["X-A"]',
      /line breaks/,
    ],
    [
      'negative timeout',
      withValue(['providers', 0, 'timeoutMs'], -5),
      'providers[0].timeoutMs',
      /^must be a positive integer, got -5$/,
    ],
    [
      'timeout too long',
      withValue(['providers', 0, 'timeoutMs'], 600_001),
      'providers[0].timeoutMs',
      /^must be at most 600000, got 600001$/,
    ],
    [
      'fractional maxConcurrent',
      withValue(['providers', 0, 'maxConcurrent'], 1.5),
      'providers[0].maxConcurrent',
      /must be a positive integer, got 1.5/,
    ],
    [
      'unknown protocol',
      withValue(['providers', 0, 'protocol'], 'bedrock'),
      'providers[0].protocol',
      /must be one of "openai", "anthropic", "gemini", got "bedrock"/,
    ],
    [
      'streamUsage not a boolean',
      withValue(['providers', 0, 'streamUsage'], 'yes'),
      'providers[0].streamUsage',
      /a boolean/,
    ],
    ['no models', withValue(['models'], REMOVE), 'models', /is required/],
    ['empty models', withValue(['models'], {}), 'models', /at least one model group/],
    [
      'empty group name',
      withValue(['models', ''], { deployments: [{ provider: 'groq', model: 'm' }] }),
      'models[""]',
      /must not be empty/,
    ],
    [
      'no deployments',
      withValue(['models', 'fast', 'deployments'], []),
      'models.fast.deployments',
      /at least one deployment/,
    ],
    [
      'unknown provider',
      withValue(['models', 'smart', 'deployments', 0, 'provider'], 'opnai'),
      'models.smart.deployments[0].provider',
      /^unknown provider "opnai"; did you mean "openai"\? Configured providers: "openai", "groq"$/,
    ],
    [
      'unknown provider, nothing close',
      withValue(['models', 'smart', 'deployments', 0, 'provider'], 'mistral'),
      'models.smart.deployments[0].provider',
      /^unknown provider "mistral"\. Configured providers: "openai", "groq"$/,
    ],
    [
      'empty model',
      withValue(['models', 'smart', 'deployments', 0, 'model'], ''),
      'models.smart.deployments[0].model',
      /must not be empty/,
    ],
    [
      'zero weight',
      withValue(['models', 'smart', 'deployments', 0, 'weight'], 0),
      'models.smart.deployments[0].weight',
      /must be a positive number, got 0/,
    ],
    [
      'negative priority',
      withValue(['models', 'smart', 'deployments', 0, 'priority'], -1),
      'models.smart.deployments[0].priority',
      /non-negative integer, got -1/,
    ],
    [
      'negative price',
      withValue(['models', 'smart', 'deployments', 0, 'price'], { input: -1, output: 2 }),
      'models.smart.deployments[0].price.input',
      /finite number >= 0, got -1/,
    ],
    [
      'infinite price',
      withValue(['models', 'smart', 'deployments', 0, 'price'], {
        input: 1,
        output: Number.POSITIVE_INFINITY,
      }),
      'models.smart.deployments[0].price.output',
      /got Infinity/,
    ],
    [
      'zero degradedLatencyMs',
      withValue(['models', 'smart', 'deployments', 0, 'degradedLatencyMs'], 0),
      'models.smart.deployments[0].degradedLatencyMs',
      /positive number, got 0/,
    ],
    [
      'misspelt deployment option',
      withRenamed(['models', 'smart', 'deployments', 0, 'model'], 'modle'),
      'models.smart.deployments[0].modle',
      /did you mean "model"\?/,
    ],
    [
      'duplicate deployment',
      withValue(['models', 'smart', 'deployments', 1], { provider: 'openai', model: 'gpt-4.1' }),
      'models.smart.deployments[1]',
      /duplicate deployment "openai\/gpt-4\.1"/,
    ],
    [
      'unknown strategy',
      withValue(['models', 'smart', 'strategy'], 'fastest'),
      'models.smart.strategy',
      /must be one of "priority", .*"consistent-hash", "health", got "fastest"/,
    ],
    [
      'fallback to itself',
      withValue(['models', 'smart', 'fallbacks'], ['smart']),
      'models.smart.fallbacks[0]',
      /not its own group "smart"/,
    ],
    [
      'misspelt fallback',
      withValue(['models', 'smart', 'fallbacks'], ['fats']),
      'models.smart.fallbacks[0]',
      /unknown model group "fats"; did you mean "fast"\?/,
    ],
    [
      'fallback listed twice',
      withValue(['models', 'smart', 'fallbacks'], ['fast', 'fast']),
      'models.smart.fallbacks[1]',
      /twice/,
    ],
    [
      'unknown contextFallback',
      withValue(['models', 'fast', 'contextFallback'], 'huge'),
      'models.fast.contextFallback',
      /unknown model group "huge"/,
    ],
    ['unknown defaultModel', withValue(['defaultModel'], 'smrt'), 'defaultModel', /did you mean "smart"\?/],
    [
      'too many retries',
      withValue(['policy', 'retries'], 11),
      'policy.retries',
      /^must be an integer from 0 to 10, got 11$/,
    ],
    [
      'misspelt retries',
      withValue(['policy', 'retires'], 2),
      'policy.retires',
      /^unknown option; did you mean "retries"\?$/,
    ],
    [
      'unknown option, nothing close',
      withValue(['policy', 'zzz'], 2),
      'policy.zzz',
      /unknown option; expected one of "retries", "backoff"/,
    ],
    [
      'misspelt top-level option',
      withValue(['defaultModle'], 'smart'),
      'defaultModle',
      /did you mean "defaultModel"\?/,
    ],
    [
      'backoff max below base',
      withValue(['policy', 'backoff'], { baseMs: 500, maxMs: 100 }),
      'policy.backoff.maxMs',
      /at least baseMs \(500\), got 100/,
    ],
    [
      'backoff base above default max',
      withValue(['policy', 'backoff'], { baseMs: 5000 }),
      'policy.backoff.baseMs',
      /default maxMs \(2000\)/,
    ],
    [
      'negative reset timeout',
      withValue(['policy', 'breaker', 'resetTimeoutMs'], -5),
      'policy.breaker.resetTimeoutMs',
      /^must be a non-negative integer, got -5$/,
    ],
    [
      'reset timeout past the longest timer',
      withValue(['policy', 'breaker', 'resetTimeoutMs'], 2_147_483_648),
      'policy.breaker.resetTimeoutMs',
      /^must be at most 2147483647, got 2147483648$/,
    ],
    [
      'threshold of 0%',
      withValue(['policy', 'breaker', 'errorThresholdPercentage'], 0),
      'policy.breaker.errorThresholdPercentage',
      /from 1 to 100, got 0/,
    ],
    [
      'string timeout',
      withValue(['policy', 'stream', 'idleTimeoutMs'], '30s'),
      'policy.stream.idleTimeoutMs',
      /non-negative integer, got a string/,
    ],
    ['NaN deadline', withValue(['policy', 'deadlineMs'], Number.NaN), 'policy.deadlineMs', /got NaN/],
    [
      'zero ewmaAlpha',
      withValue(['health', 'ewmaAlpha'], 0),
      'health.ewmaAlpha',
      /greater than 0 and at most 1, got 0/,
    ],
    [
      'success rate above 1',
      withValue(['health', 'degradedSuccessRate'], 1.5),
      'health.degradedSuccessRate',
      /from 0 to 1, got 1.5/,
    ],
    ['zero window', withValue(['health', 'windowSize'], 0), 'health.windowSize', /positive integer, got 0/],
    [
      'zero score weights',
      withValue(['health', 'scoreWeights'], { success: 0, latency: 0 }),
      'health.scoreWeights',
      /must not all be 0/,
    ],
    [
      'negative score weight',
      withValue(['health', 'scoreWeights'], { success: -1, latency: 1 }),
      'health.scoreWeights.success',
      /got -1/,
    ],
    [
      'logger method not a function',
      withValue(['logger'], { info: 'yes' }),
      'logger.info',
      /must be a function, got a string/,
    ],
    ['logger not an object', withValue(['logger'], 'console'), 'logger', /must be an object/],
  ];

  it.each(cases)('%s', (_name, input, path, message) => {
    expectIssue(issuesOf(input), path, message);
  });

  it.each([undefined, 42, 'config', true])('rejects %p with a single issue at the root', (input) => {
    const { issues } = configError(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ path: '', message: expect.stringMatching(/^the config must be an object/) });
  });

  it('reports every problem in one throw', () => {
    const config = baseConfig() as unknown as Container;
    const input = {
      ...config,
      providers: [
        { id: 'openai', baseUrl: 'ws://api.openai.com', apiKey: { env: 'NOT_SET' }, timeoutMs: 0 },
        { id: 'groq', baseUrl: 'https://api.groq.com/openai/v1', headers: { Authorization: 'x' } },
      ],
      models: {
        smart: { deployments: [{ provider: 'opnai', model: 'gpt-4.1', weight: -1 }], fallbacks: ['none'] },
      },
      policy: { retires: 3, breaker: { volumeThreshold: -1 } },
      defaultModel: 'dumb',
    };
    const issues = issuesOf(input);
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([
        'providers[0].baseUrl',
        'providers[0].apiKey',
        'providers[0].timeoutMs',
        'providers[1].headers.Authorization',
        'models.smart.deployments[0].provider',
        'models.smart.deployments[0].weight',
        'models.smart.fallbacks[0]',
        'policy.retires',
        'policy.breaker.volumeThreshold',
        'defaultModel',
      ]),
    );
    expect(issues).toHaveLength(10);
  });

  it('puts every issue in the error message', () => {
    const error = configError(withValue(['policy', 'retries'], -1));
    expect(error.code).toBe('AI_CONFIG_INVALID');
    expect(error.message).toContain('policy.retries: must be an integer from 0 to 10, got -1');
  });

  it('does not report a reference to a provider whose own entry is invalid', () => {
    const issues = issuesOf(withValue(['providers', 1, 'baseUrl'], 'nope'));
    expect(issues).toEqual([{ path: 'providers[1].baseUrl', message: expect.any(String) }]);
  });
});

describe('resolveConfig: secrets', () => {
  const padded = ` ${SECRET} `;
  const leaks = (issues: readonly ConfigIssue[], error: ConfigError) =>
    [error.message, String(error), JSON.stringify(issues), error.stack ?? ''].some((text) =>
      text.includes('SECRET123'),
    );

  it.each<[string, unknown, NodeJS.ProcessEnv, string]>([
    ['a padded literal key', { apiKey: padded }, ENV, 'providers[0].apiKey'],
    ['a padded key in a list', { apiKey: ['gsk-1', `${SECRET}\n`] }, ENV, 'providers[0].apiKey[1]'],
    ['a padded env value', { apiKey: { env: 'PADDED' } }, { PADDED: padded }, 'providers[0].apiKey'],
    ['a duplicated key', { apiKey: [SECRET, SECRET] }, ENV, 'providers[0].apiKey[1]'],
    ['a key in the wrong option', { apikey: SECRET }, ENV, 'providers[0].apikey'],
  ])('never prints the key: %s', (_name, patch, env, path) => {
    const provider = { id: 'openai', baseUrl: 'https://api.openai.com/v1', ...(patch as object) };
    const error = configError(withValue(['providers', 0], provider), env);
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(leaks(error.issues, error)).toBe(false);
  });

  it('says which whitespace problem a key has without the key', () => {
    const error = configError(withValue(['providers', 0, 'apiKey'], padded));
    expectIssue(error.issues, 'providers[0].apiKey', /^must not have leading or trailing whitespace$/);
    const envError = configError(withValue(['providers', 0, 'apiKey'], { env: 'PADDED' }), {
      PADDED: padded,
    });
    expectIssue(
      envError.issues,
      'providers[0].apiKey',
      /^environment variable PADDED has leading or trailing whitespace$/,
    );
  });

  it('reports an empty environment variable as not set', () => {
    const issues = issuesOf(baseConfig(), { OPENAI_API_KEY: '' });
    expectIssue(issues, 'providers[0].apiKey', /^environment variable OPENAI_API_KEY is not set/);
  });

  it('strips credentials from the base URL', () => {
    const config = withValue(
      ['providers', 0, 'baseUrl'],
      'https://user:s3cr3t-pass@proxy.example.com:8443/v1/',
    );
    const provider = resolveConfig(config, ENV).providers.get('openai')!;
    expect(provider.origin).toBe('https://proxy.example.com:8443');
    expect(provider.basePath).toBe('/v1');
    expect(provider.displayUrl).toBe('https://proxy.example.com:8443/v1');
    expect(JSON.stringify(provider)).not.toMatch(/s3cr3t|user/);
  });

  it('keeps keys and headers out of JSON.stringify and util.inspect', () => {
    const config = withValue(['providers', 0, 'headers'], { 'x-api-key': 'hdr-SECRET123' });
    const resolved = resolveConfig(config, { ...ENV, OPENAI_API_KEY: 'sk-SECRET123' });
    const provider = resolved.providers.get('openai')!;
    expect(provider.keys).toEqual(['sk-SECRET123']);
    expect(provider.headers).toEqual({ 'x-api-key': 'hdr-SECRET123' });
    const shown = [
      JSON.stringify(provider),
      JSON.stringify([...resolved.providers.values()]),
      inspect(resolved, { depth: 10 }),
      inspect(provider),
    ];
    for (const text of shown) expect(text).not.toContain('SECRET123');
  });
});

describe('resolveConfig: resolved values', () => {
  const resolved = (): ResolvedConfig => resolveConfig(baseConfig(), ENV);

  it('applies the documented defaults', () => {
    const config = resolved();
    expect(config.policy).toEqual({
      retries: 1,
      backoff: { baseMs: 200, maxMs: 2000 },
      maxRetryAfterMs: 3000,
      authCooldownMs: 60000,
      rateLimitCooldownMs: 5000,
      deadlineMs: 60000,
      minAttemptMs: 100,
      maxWaitMs: 3000,
      learnRateLimits: true,
      breaker: {
        errorThresholdPercentage: 50,
        volumeThreshold: 5,
        resetTimeoutMs: 30000,
        rollingWindowMs: 10000,
        consecutiveFailures: 5,
      },
      stream: { headersTimeoutMs: 10000, firstTokenTimeoutMs: 15000, idleTimeoutMs: 30000 },
    });
    expect(config.health).toEqual({
      windowSize: 100,
      ewmaAlpha: 0.3,
      degradedLatencyMs: 2000,
      unhealthyAfter: 3,
      degradedSuccessRate: 0.9,
      scoreWeights: { success: 0.7, latency: 0.3 },
    });
    expect(config.policy).toEqual(DEFAULTS.policy);
    expect(config.health).toEqual(DEFAULTS.health);
    expect(config.defaultModel).toBe('smart');
    expect(config.logger).toBeUndefined();
    const openai = config.providers.get('openai')!;
    expect(openai).toEqual({
      id: 'openai',
      origin: 'https://api.openai.com',
      basePath: '/v1',
      displayUrl: 'https://api.openai.com/v1',
      protocol: 'openai',
      streamUsage: true,
      timeoutMs: 30000,
      maxConcurrent: 64,
      limits: {
        responseBytes: 32 * 1024 ** 2,
        eventBytes: 1024 ** 2,
        preTokenBytes: 1024 ** 2,
        retryAfterMs: 3_600_000,
      },
      transport: { kind: 'direct', ca: undefined },
    });
    expect(openai.limits).toEqual(DEFAULTS.limits);
    expect(openai.keys).toEqual(['sk-env-openai']);
    expect(openai.headers).toEqual({});
    expect(config.models.get('smart')).toEqual({
      name: 'smart',
      strategy: 'priority',
      fallbacks: ['fast'],
      contextFallback: undefined,
      deployments: [
        {
          id: 'openai/gpt-4.1',
          provider: 'openai',
          model: 'gpt-4.1',
          weight: 1,
          priority: 0,
          price: undefined,
          degradedLatencyMs: 2000,
        },
        expect.objectContaining({ id: 'groq/llama-3.3-70b', priority: 1 }),
      ],
    });
    expect([...config.deployments.keys()]).toEqual([
      'openai/gpt-4.1',
      'groq/llama-3.3-70b',
      'groq/llama-3.1-8b',
    ]);
  });

  it('keeps explicit values and normalises score weights', () => {
    const input: AiFailoverConfig = {
      ...baseConfig(),
      defaultModel: 'fast',
      policy: {
        retries: 0,
        backoff: { maxMs: 500 },
        breaker: { volumeThreshold: 0 },
        stream: { idleTimeoutMs: 0 },
      },
      health: { degradedLatencyMs: 900, scoreWeights: { success: 3, latency: 1 } },
      limits: { eventBytes: '2mb', retryAfterMs: 60_000 },
    };
    input.providers[0] = {
      ...input.providers[0]!,
      limits: { eventBytes: 4096 },
      headers: { 'OpenAI-Organization': 'org-1' },
      timeoutMs: 600_000,
      maxConcurrent: 2,
    };
    input.models.fast = {
      strategy: 'weighted',
      contextFallback: 'smart',
      deployments: [
        {
          provider: 'groq',
          model: 'llama-3.1-8b',
          weight: 3,
          priority: 7,
          price: { input: 0.1, output: 0.2 },
        },
      ],
    };
    const config = resolveConfig(input, ENV);
    expect(config.defaultModel).toBe('fast');
    expect(config.policy.retries).toBe(0);
    expect(config.policy.backoff).toEqual({ baseMs: 200, maxMs: 500 });
    expect(config.policy.breaker.volumeThreshold).toBe(0);
    expect(config.policy.stream).toEqual({
      headersTimeoutMs: 10000,
      firstTokenTimeoutMs: 15000,
      idleTimeoutMs: 0,
    });
    expect(config.health.scoreWeights).toEqual({ success: 0.75, latency: 0.25 });
    const openai = config.providers.get('openai')!;
    expect(openai.headers).toEqual({ 'OpenAI-Organization': 'org-1' });
    expect(openai.limits).toEqual({ ...DEFAULTS.limits, eventBytes: 4096, retryAfterMs: 60_000 });
    expect(config.providers.get('groq')!.limits).toEqual({
      ...DEFAULTS.limits,
      eventBytes: 2 * 1024 ** 2,
      retryAfterMs: 60_000,
    });
    expect(openai.timeoutMs).toBe(600_000);
    expect(openai.maxConcurrent).toBe(2);
    const fast = config.models.get('fast')!;
    expect(fast.strategy).toBe('weighted');
    expect(fast.contextFallback).toBe('smart');
    expect(fast.deployments[0]).toEqual({
      id: 'groq/llama-3.1-8b',
      provider: 'groq',
      model: 'llama-3.1-8b',
      weight: 3,
      priority: 7,
      price: { input: 0.1, output: 0.2 },
      degradedLatencyMs: 900,
    });
  });

  it('reads keys from the env object in config order', () => {
    const config = withValue(
      ['providers', 1, 'apiKey'],
      [{ env: 'GROQ_KEY' }, 'gsk-literal', { env: 'OTHER' }],
    );
    const keys = resolveConfig(config, { ...ENV, OTHER: 'gsk-other' }).providers.get('groq')!.keys;
    expect(keys).toEqual(['gsk-env-groq', 'gsk-literal', 'gsk-other']);
  });

  it('reads process.env when no env is given', () => {
    process.env.AI_FAILOVER_TEST_KEY = 'sk-from-process';
    try {
      const config = withValue(['providers', 0, 'apiKey'], { env: 'AI_FAILOVER_TEST_KEY' });
      expect(resolveConfig(config).providers.get('openai')!.keys).toEqual(['sk-from-process']);
    } finally {
      delete process.env.AI_FAILOVER_TEST_KEY;
    }
  });

  it('allows a provider without keys', () => {
    const config = withValue(['providers', 0, 'apiKey'], REMOVE);
    expect(resolveConfig(config, ENV).providers.get('openai')!.keys).toEqual([]);
  });

  it('keeps an empty base path for a root URL', () => {
    const config = withValue(['providers', 0, 'baseUrl'], 'http://localhost:11434');
    const provider = resolveConfig(config, ENV).providers.get('openai')!;
    expect(provider).toMatchObject({
      origin: 'http://localhost:11434',
      basePath: '',
      displayUrl: 'http://localhost:11434',
    });
  });

  it('keeps per-group values of a deployment shared by several groups and the first in the map', () => {
    const input = baseConfig();
    input.models.cheap = {
      deployments: [{ provider: 'openai', model: 'gpt-4.1', weight: 5, price: { input: 1, output: 2 } }],
    };
    const config = resolveConfig(input, ENV);
    expect(config.models.get('cheap')!.deployments[0]).toMatchObject({
      weight: 5,
      price: { input: 1, output: 2 },
    });
    expect(config.deployments.get('openai/gpt-4.1')).toMatchObject({ weight: 1, price: undefined });
    expect(config.deployments.get('openai/gpt-4.1')).toBe(config.models.get('smart')!.deployments[0]);
  });

  it('binds the logger without freezing or keeping the caller object', () => {
    const calls: unknown[] = [];
    const logger = {
      prefix: 'app',
      level: 'info',
      info(this: { prefix: string }, message: string) {
        calls.push(`${this.prefix}: ${message}`);
      },
    } satisfies Logger & Record<string, unknown>;
    const config = resolveConfig({ ...baseConfig(), logger }, ENV);
    config.logger?.info?.('hello');
    expect(calls).toEqual(['app: hello']);
    expect(config.logger).not.toBe(logger);
    expect(config.logger?.warn).toBeUndefined();
    expect(Object.isFrozen(logger)).toBe(false);
  });
});

describe('resolveConfig: immutability', () => {
  function expectDeepFrozen(value: unknown, path = 'config', seen = new Set<unknown>()): void {
    if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return;
    if (seen.has(value)) return;
    seen.add(value);
    expect([path, Object.isFrozen(value)]).toEqual([path, true]);
    if (value instanceof Map) {
      for (const [key, entry] of value) expectDeepFrozen(entry, `${path}.get(${String(key)})`, seen);
    }
    for (const key of Reflect.ownKeys(value)) {
      expectDeepFrozen(Reflect.get(value, key), `${path}.${String(key)}`, seen);
    }
  }

  it('returns a deeply frozen config', () => {
    const input: AiFailoverConfig = {
      ...baseConfig(),
      logger: { warn: () => undefined },
      health: { scoreWeights: { success: 1, latency: 1 } },
    };
    input.providers[0]!.headers = { 'X-Team': 'a' };
    input.models.smart!.deployments[0]!.price = { input: 1, output: 1 };
    const config = resolveConfig(input, ENV);
    expectDeepFrozen(config);
    expect(() => (config.providers as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (config.models as Map<string, unknown>).delete('smart')).toThrow(TypeError);
    expect(() => (config.deployments as Map<string, unknown>).clear()).toThrow(TypeError);
    expect(config.models.size).toBe(2);
    expect(() => {
      (config.policy as { retries: number }).retries = 5;
    }).toThrow(TypeError);
  });

  it('exports frozen defaults', () => {
    expectDeepFrozen(DEFAULTS);
  });

  it('does not mutate the input, valid or not', () => {
    const valid = { ...baseConfig(), policy: { backoff: { baseMs: 100 } }, health: {} };
    const before = structuredClone(valid);
    resolveConfig(valid, ENV);
    expect(valid).toEqual(before);
    expect(Object.isFrozen(valid.providers)).toBe(false);

    const invalid = withValue(['policy', 'retires'], 1);
    const invalidBefore = structuredClone(invalid);
    configError(invalid);
    expect(invalid).toEqual(invalidBefore);
  });

  it('is not affected by later changes to the input', () => {
    const input = baseConfig();
    input.providers[0]!.headers = { 'X-Team': 'a' };
    const config = resolveConfig(input, ENV);
    const snapshot = structuredClone({
      providers: [...config.providers.values()],
      models: [...config.models.values()],
      deployments: [...config.deployments.values()],
    });

    input.providers[0]!.timeoutMs = 1;
    input.providers[0]!.headers['X-Team'] = 'b';
    (input.providers[1]!.apiKey as string[]).push('gsk-3');
    input.models.smart!.deployments.push({ provider: 'openai', model: 'gpt-5' });
    input.models.smart!.deployments[0]!.model = 'changed';
    input.models.smart!.fallbacks!.push('other');
    input.models.extra = { deployments: [{ provider: 'openai', model: 'x' }] };
    input.providers.pop();

    expect({
      providers: [...config.providers.values()],
      models: [...config.models.values()],
      deployments: [...config.deployments.values()],
    }).toEqual(snapshot);
    expect(config.providers.get('groq')!.keys).toEqual(['gsk-1', 'gsk-2']);
  });
});

describe('formatPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], ''],
    [['providers', 1, 'baseUrl'], 'providers[1].baseUrl'],
    [['models', 'smart', 'deployments', 0, 'provider'], 'models.smart.deployments[0].provider'],
    [['policy', 'breaker', 'resetTimeoutMs'], 'policy.breaker.resetTimeoutMs'],
    [['models', 'gpt-4.1', 'strategy'], 'models["gpt-4.1"].strategy'],
    [[Symbol('s'), 0], 's[0]'],
  ])('formats %p as %p', (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});

describe('configSchema', () => {
  it('accepts every AiFailoverConfig', () => {
    const accepts = (config: z.input<typeof configSchema>) => config;
    expect(accepts(baseConfig() satisfies AiFailoverConfig)).toBeDefined();
  });
});
