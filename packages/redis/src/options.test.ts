import { AiClient, type AiFailoverConfig, ClientClosedError, ConfigError } from '@ai-failover/core';
import { defaultNamespace, type RedisSharingOptions, shareStateThroughRedis } from '.';

function config(models: string[]): AiFailoverConfig {
  return {
    providers: [{ id: 'p', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'key-p-0001' }],
    models: { chat: { deployments: models.map((model) => ({ provider: 'p', model })) } },
  };
}

let clients: AiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.map((c) => c.close()));
  clients = [];
});

function client(models = ['m1', 'm2']): AiClient {
  const created = new AiClient(config(models));
  clients.push(created);
  return created;
}

async function issuesOf(options: unknown): Promise<Array<{ path: string; message: string }>> {
  const error = await shareStateThroughRedis(client(), options as RedisSharingOptions).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as ConfigError).issues];
}

describe('options of shareStateThroughRedis()', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['no redis', {}, 'redis.redis', /is required/],
    ['not a redis URL', { redis: 'http://127.0.0.1:6379' }, 'redis.redis', /redis:\/\/ or rediss:\/\//],
    ['not a URL at all', { redis: 'localhost' }, 'redis.redis', /redis:\/\/ or rediss:\/\//],
    ['a cluster', { redis: { isCluster: true } }, 'redis.redis', /Cluster is not supported/],
    [
      'not a connection',
      { redis: { get: () => 1 } },
      'redis.redis',
      /not an ioredis connection \(no duplicate/,
    ],
    ['a typo', { redis: 'redis://h', prefx: 'x' }, 'redis.prefx', /unknown option; did you mean "prefix"\?/],
    ['an empty prefix', { redis: 'redis://h', prefix: '' }, 'redis.prefix', /non-empty string/],
    [
      'a namespace with spaces',
      { redis: 'redis://h', namespace: 'my app' },
      'redis.namespace',
      /without spaces/,
    ],
    ['a zero breaker ttl', { redis: 'redis://h', breakerTtlMs: 0 }, 'redis.breakerTtlMs', /integer .* got 0/],
    ['a fractional timeout', { redis: 'redis://h', startTimeoutMs: 1.5 }, 'redis.startTimeoutMs', /got 1.5/],
    [
      'a logger that is not an object',
      { redis: 'redis://h', logger: 'console' },
      'redis.logger',
      /must be an object/,
    ],
  ])('%s is a ConfigError naming the option', async (_name, options, path, message) => {
    const issues = await issuesOf(options);
    expect(issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  test('every problem is listed at once', async () => {
    const issues = await issuesOf({ redis: 'ftp://x', prefix: 1, breakerTtlMs: -5 });
    expect(issues.map((issue) => issue.path)).toEqual(['redis.redis', 'redis.prefix', 'redis.breakerTtlMs']);
  });

  test('options that are not an object are a ConfigError', async () => {
    await expect(
      shareStateThroughRedis(client(), undefined as unknown as RedisSharingOptions),
    ).rejects.toThrow(ConfigError);
  });

  test('a closed client is refused, and so is something that is not a client', async () => {
    const closed = client();
    await closed.close();
    await expect(shareStateThroughRedis(closed, { redis: 'redis://127.0.0.1:9' })).rejects.toThrow(
      ClientClosedError,
    );
    await expect(
      shareStateThroughRedis({} as unknown as AiClient, { redis: 'redis://127.0.0.1:9' }),
    ).rejects.toThrow(/client must be an AiClient/);
  });

  test('the default namespace depends on the deployments only, not on their order', () => {
    expect(defaultNamespace(client(['m1', 'm2']))).toBe(defaultNamespace(client(['m2', 'm1'])));
    expect(defaultNamespace(client(['m1', 'm2']))).not.toBe(defaultNamespace(client(['m1', 'm3'])));
    expect(defaultNamespace(client())).toMatch(/^[0-9a-f]{16}$/);
  });
});
