import { ConfigError } from '../errors';
import type { AiFailoverConfig } from '../types';
import { ENV_SETTINGS } from './env';
import { resolveConfig } from './resolve';

const base: AiFailoverConfig = {
  providers: [
    { id: 'a', baseUrl: 'http://127.0.0.1:1/v1', rateLimit: { tpm: 1000 } },
    { id: 'b', baseUrl: 'http://127.0.0.1:2/v1' },
  ],
  models: {
    chat: { deployments: [{ provider: 'a', model: 'm' }] },
    other: { deployments: [{ provider: 'b', model: 'm' }] },
  },
  fromEnv: true,
};

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('fromEnv', () => {
  test('each variable changes what it says', () => {
    const config = resolveConfig(base, {
      AI_FAILOVER_FAILURE_THRESHOLD: '7',
      AI_FAILOVER_RECOVERY_TIMEOUT: '45',
      AI_FAILOVER_MAX_RETRIES: '3',
      AI_FAILOVER_RATE_LIMIT_PER_MINUTE: '120',
      AI_FAILOVER_TOKENS_PER_MINUTE: '90000',
      AI_FAILOVER_MAX_CONCURRENT: '16',
      AI_FAILOVER_REQUEST_TIMEOUT: '2500ms',
      AI_FAILOVER_DEADLINE: '2m',
      AI_FAILOVER_MAX_WAIT: '1.5s',
      AI_FAILOVER_REGION: 'eu-west',
      AI_FAILOVER_DEFAULT_MODEL: 'other',
    });
    expect(config.policy.breaker.consecutiveFailures).toBe(7);
    expect(config.policy.breaker.resetTimeoutMs).toBe(45_000);
    expect(config.policy.retries).toBe(3);
    expect(config.policy.deadlineMs).toBe(120_000);
    expect(config.policy.maxWaitMs).toBe(1500);
    for (const provider of config.providers.values()) {
      expect(provider.rateLimit).toEqual({ rpm: 120, tpm: 90000 });
      expect(provider.maxConcurrent).toBe(16);
      expect(provider.timeoutMs).toBe(2500);
    }
    expect(config.region).toBe('eu-west');
    expect(config.defaultModel).toBe('other');
  });

  test('the table covers every setting the test above sets', () => {
    expect(ENV_SETTINGS.map((s) => s.name)).toEqual([
      'FAILURE_THRESHOLD',
      'RECOVERY_TIMEOUT',
      'MAX_RETRIES',
      'RATE_LIMIT_PER_MINUTE',
      'TOKENS_PER_MINUTE',
      'MAX_CONCURRENT',
      'REQUEST_TIMEOUT',
      'DEADLINE',
      'MAX_WAIT',
      'REGION',
      'DEFAULT_MODEL',
    ]);
  });

  test('a variable wins over the config; unset or empty ones change nothing', () => {
    const written = { ...base, policy: { retries: 2, breaker: { consecutiveFailures: 9 } } };
    const config = resolveConfig(written, {
      AI_FAILOVER_MAX_RETRIES: '0',
      AI_FAILOVER_FAILURE_THRESHOLD: '',
    });
    expect(config.policy.retries).toBe(0);
    expect(config.policy.breaker.consecutiveFailures).toBe(9);
    // The provider's own tpm stays when only rpm comes from the environment.
    expect(
      resolveConfig(base, { AI_FAILOVER_RATE_LIMIT_PER_MINUTE: '10' }).providers.get('a')!.rateLimit,
    ).toEqual({
      rpm: 10,
      tpm: 1000,
    });
  });

  test('without fromEnv nothing is read', () => {
    const config = resolveConfig({ ...base, fromEnv: undefined }, { AI_FAILOVER_MAX_RETRIES: '5' });
    expect(config.policy.retries).toBe(1);
  });

  test('a custom prefix', () => {
    const config = resolveConfig(
      { ...base, fromEnv: { prefix: 'RELAY_' } },
      {
        RELAY_MAX_RETRIES: '4',
        AI_FAILOVER_MAX_RETRIES: '2',
      },
    );
    expect(config.policy.retries).toBe(4);
  });

  test.each([
    [
      'FAILURE_THRESHOLD',
      'five',
      'must be a whole number, got "five" (it sets policy.breaker.consecutiveFailures)',
    ],
    [
      'RECOVERY_TIMEOUT',
      '30 seconds',
      'must be a duration such as 500ms, 30s, 2m or a number of seconds, got "30 seconds" (it sets policy.breaker.resetTimeoutMs)',
    ],
    ['MAX_RETRIES', '-1', 'must be a whole number, got "-1" (it sets policy.retries)'],
    ['RATE_LIMIT_PER_MINUTE', '1e3', 'must be a whole number, got "1e3" (it sets providers[].rateLimit.rpm)'],
  ])('an unreadable %s names the variable', (name, value, message) => {
    expect(issuesOf(() => resolveConfig(base, { [`AI_FAILOVER_${name}`]: value }))).toEqual([
      { path: `AI_FAILOVER_${name}`, message },
    ]);
  });

  test('a readable value the config refuses names the variable too', () => {
    expect(issuesOf(() => resolveConfig(base, { AI_FAILOVER_MAX_RETRIES: '50' }))).toEqual([
      {
        path: 'AI_FAILOVER_MAX_RETRIES',
        message: 'must be an integer from 0 to 10, got 50 (it sets policy.retries)',
      },
    ]);
    expect(issuesOf(() => resolveConfig(base, { AI_FAILOVER_RATE_LIMIT_PER_MINUTE: '0' }))).toEqual([
      {
        path: 'AI_FAILOVER_RATE_LIMIT_PER_MINUTE',
        message: 'must be a positive integer, got 0 (it sets providers[0].rateLimit.rpm)',
      },
      {
        path: 'AI_FAILOVER_RATE_LIMIT_PER_MINUTE',
        message: 'must be a positive integer, got 0 (it sets providers[1].rateLimit.rpm)',
      },
    ]);
    expect(issuesOf(() => resolveConfig(base, { AI_FAILOVER_DEFAULT_MODEL: 'chta' }))).toEqual([
      {
        path: 'AI_FAILOVER_DEFAULT_MODEL',
        message: expect.stringMatching(
          /^unknown model group "chta"; did you mean "chat"\?.*\(it sets defaultModel\)$/,
        ),
      },
    ]);
  });

  test('a misspelt variable is reported; unrelated ones under the prefix are left alone', () => {
    expect(
      issuesOf(() => resolveConfig(base, { AI_FAILOVER_MAX_RETRYS: '3', AI_FAILOVER_DASHBOARD_TOKEN: 'x' })),
    ).toEqual([
      { path: 'AI_FAILOVER_MAX_RETRYS', message: 'unknown setting; did you mean AI_FAILOVER_MAX_RETRIES?' },
    ]);
  });

  test('a bad prefix is a config error of its own', () => {
    expect(issuesOf(() => resolveConfig({ ...base, fromEnv: { prefix: 'no spaces' } }, {}))).toEqual([
      { path: 'fromEnv.prefix', message: expect.stringContaining('must be letters, digits and "_"') },
    ]);
  });
});
