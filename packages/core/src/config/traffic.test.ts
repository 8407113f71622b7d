import { ConfigError } from '../errors';
import type { AiFailoverConfig } from '../types';
import { resolveConfig } from './resolve';

const base = (): AiFailoverConfig => ({
  providers: [
    {
      id: 'a',
      baseUrl: 'http://127.0.0.1:1/v1',
      region: 'eu',
      rateLimit: { rpm: 100, perKey: { tpm: 5000 } },
    },
    { id: 'b', baseUrl: 'http://127.0.0.1:2/v1', timeoutMs: 4000 },
  ],
  models: {
    chat: {
      deployments: [
        { provider: 'a', model: 'm', rateLimit: { rpm: 10 } },
        { provider: 'b', model: 'm', region: 'us' },
      ],
      canary: { deployment: { provider: 'b', model: 'next' }, percent: 20 },
      shadow: { deployment: { provider: 'a', model: 'shadow' }, percent: 5 },
    },
  },
});

function issuesOf(config: unknown) {
  try {
    resolveConfig(config, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('traffic settings', () => {
  test('rate limits, regions, canary and shadow resolve with their defaults', () => {
    const config = resolveConfig(base(), {});
    expect(config.providers.get('a')).toEqual(
      expect.objectContaining({
        rateLimit: { rpm: 100, tpm: undefined },
        keyRateLimit: { rpm: undefined, tpm: 5000 },
      }),
    );
    expect(config.providers.get('b')).toEqual(
      expect.objectContaining({ rateLimit: undefined, keyRateLimit: undefined }),
    );
    const group = config.models.get('chat')!;
    // A deployment's region defaults to its provider's.
    expect(group.deployments.map((d) => [d.id, d.region, d.rateLimit])).toEqual([
      ['a/m', 'eu', { rpm: 10, tpm: undefined }],
      ['b/m', 'us', undefined],
    ]);
    expect(group.canary).toEqual({
      deployment: expect.objectContaining({ id: 'b/next' }),
      percent: 20,
      rollback: { errorRate: 0.05, p99Ms: 5000, windowMs: 60_000, minCalls: 20 },
    });
    expect(group.shadow).toEqual({
      deployment: expect.objectContaining({ id: 'a/shadow', region: 'eu' }),
      percent: 5,
      maxConcurrent: 4,
      timeoutMs: 30_000,
    });
    // The canary is a deployment of the runtime (it takes real calls); the shadow is not.
    expect([...config.deployments.keys()]).toEqual(['a/m', 'b/m', 'b/next']);
  });

  test('rollback rules merge with the defaults; false turns them off', () => {
    const config = base();
    config.models.chat!.canary!.rollback = { errorRate: 0.2, minCalls: 5 };
    expect(resolveConfig(config, {}).models.get('chat')!.canary!.rollback).toEqual({
      errorRate: 0.2,
      p99Ms: 5000,
      windowMs: 60_000,
      minCalls: 5,
    });
    config.models.chat!.canary!.rollback = false;
    expect(resolveConfig(config, {}).models.get('chat')!.canary!.rollback).toBeUndefined();
  });

  test('bad values name their field', () => {
    const config = base();
    const group = config.models.chat!;
    config.providers[0]!.rateLimit!.rpm = 0;
    group.deployments[0]!.rateLimit = { rpm: 1.5 };
    group.canary!.percent = 120;
    group.shadow!.maxConcurrent = 0;
    group.deployments[1]!.region = '';
    config.policy = { maxWaitMs: -1 };
    expect(issuesOf(config)).toEqual([
      { path: 'providers[0].rateLimit.rpm', message: 'must be a positive integer, got 0' },
      { path: 'models.chat.deployments[0].rateLimit.rpm', message: 'must be a positive integer, got 1.5' },
      { path: 'models.chat.deployments[1].region', message: 'must not be empty' },
      { path: 'models.chat.canary.percent', message: 'must be a number from 0 to 100, got 120' },
      { path: 'models.chat.shadow.maxConcurrent', message: 'must be a positive integer, got 0' },
      { path: 'policy.maxWaitMs', message: 'must be a non-negative integer, got -1' },
    ]);
  });

  test('a canary or shadow on an unknown provider, or a canary the group already has, is refused', () => {
    const config = base();
    config.models.chat!.canary!.deployment = { provider: 'a', model: 'm' };
    config.models.chat!.shadow!.deployment = { provider: 'c', model: 'x' };
    expect(issuesOf(config)).toEqual([
      {
        path: 'models.chat.canary.deployment',
        message: expect.stringContaining('a/m is already deployments[0] of this group'),
      },
      {
        path: 'models.chat.shadow.deployment.provider',
        message: expect.stringContaining('unknown provider "c"'),
      },
    ]);
  });
});
