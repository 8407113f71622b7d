import { AiClient, type AiFailoverConfig, type RateScope } from '@ai-failover/core';
import type { MockProvider } from '@ai-failover/testing';
import { Redis } from 'ioredis';
import { type RedisSharing, shareStateThroughRedis } from '.';
import {
  describeWithRedis,
  hello,
  type RedisServer,
  startMocks,
  startRedisServer,
  until,
} from './__tests__/support';
import { RedisRateLimitStore } from './rate-limits';

/** Group `chat` on a/m limited to `rpm` a minute (and b/m unlimited behind it). */
function limitedConfig(mocks: readonly MockProvider[], rpm = 10, tpm?: number): AiFailoverConfig {
  return {
    providers: [
      { id: 'a', baseUrl: mocks[0]!.baseUrl },
      { id: 'b', baseUrl: mocks[1]!.baseUrl },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm', rateLimit: { rpm, tpm } },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    policy: { retries: 0 },
  };
}

describeWithRedis('rate limits shared through Redis', () => {
  let server: RedisServer;
  let mocks: [MockProvider, MockProvider];
  let clients: AiClient[] = [];
  let sharings: RedisSharing[] = [];
  let connections: Redis[] = [];

  beforeEach(async () => {
    server = await startRedisServer();
    mocks = await startMocks();
  });

  afterEach(async () => {
    await Promise.all(sharings.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.close()));
    for (const connection of connections) connection.disconnect();
    await server.kill();
    await Promise.all(mocks.map((m) => m.close()));
    sharings = [];
    clients = [];
    connections = [];
  });

  async function replica(config: AiFailoverConfig): Promise<AiClient> {
    const client = new AiClient(config);
    clients.push(client);
    sharings.push(await shareStateThroughRedis(client, { redis: server.url, startTimeoutMs: 2000 }));
    return client;
  }

  test('two clients limited to 10 a minute send 10 in total, not 20; the provider never answers 429', async () => {
    mocks[0].rateLimit({ limit: 10, windowMs: 60_000 });
    const one = await replica(limitedConfig(mocks));
    const two = await replica(limitedConfig(mocks));
    const served: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { report } = await (i % 2 === 0 ? one : two).chat(hello);
      served.push(report.deployment!);
    }
    expect(served.filter((d) => d === 'a/m')).toHaveLength(10);
    expect(mocks[0].requests).toHaveLength(10);
    expect(mocks[0].requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(mocks[1].requests).toHaveLength(10);
  });

  test('atomic under load: 2 × 30 concurrent calls, still 10 to the limited deployment', async () => {
    const one = await replica(limitedConfig(mocks));
    const two = await replica(limitedConfig(mocks));
    const calls = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? one : two).chat(hello));
    const reports = (await Promise.all(calls)).map((r) => r.report.deployment);
    expect(reports.filter((d) => d === 'a/m')).toHaveLength(10);
    expect(mocks[0].requests).toHaveLength(10);
  });

  test('tokens: charged in Redis before the call, corrected from usage after', async () => {
    const one = await replica(limitedConfig(mocks, 100, 1000));
    const { report } = await one.chat(hello);
    expect(report.deployment).toBe('a/m');
    const redis = new Redis(server.url, { disconnectTimeout: 200 });
    connections.push(redis);
    const [key] = await redis.keys('ai-failover:*:rate:deployment:a/m');
    const fields = await redis.hgetall(key!);
    const sum = (kind: string) =>
      Object.entries(fields)
        .filter(([field]) => field.startsWith(`${kind}:`))
        .reduce((n, [, value]) => n + Number(value), 0);
    expect(sum('r')).toBe(1);
    // The correction is sent after the answer: wait for it to land.
    await until('the token correction', async () => {
      const now = await redis.hgetall(key!);
      return (
        Object.entries(now)
          .filter(([field]) => field.startsWith('t:'))
          .reduce((n, [, value]) => n + Number(value), 0) === report.usage!.total_tokens
      );
    });
    expect(await redis.pttl(key!)).toBeGreaterThan(60_000);
  });

  test('with Redis gone each client falls back to its own windows, and calls go on at once', async () => {
    const one = await replica(limitedConfig(mocks, 3));
    const two = await replica(limitedConfig(mocks, 3));
    await one.chat(hello);
    await two.chat(hello);
    await server.kill();
    await until('the clients to see Redis gone', () => true);
    const started = Date.now();
    const served: string[] = [];
    for (let i = 0; i < 8; i++) served.push((await one.chat(hello)).report.deployment!);
    expect(Date.now() - started).toBeLessThan(1000);
    // Its own window knew nothing of what Redis held: 3 more of its own, then the secondary.
    expect(served).toEqual(['a/m', 'a/m', 'a/m', 'b/m', 'b/m', 'b/m', 'b/m', 'b/m']);
  });

  test('rateLimits: false leaves every replica to its own windows', async () => {
    const configs = [limitedConfig(mocks, 2), limitedConfig(mocks, 2)];
    for (const config of configs) {
      const client = new AiClient(config);
      clients.push(client);
      sharings.push(await shareStateThroughRedis(client, { redis: server.url, rateLimits: false }));
    }
    for (let i = 0; i < 6; i++) await clients[i % 2]!.chat(hello);
    expect(mocks[0].requests).toHaveLength(4);
  });
});

describeWithRedis('RedisRateLimitStore', () => {
  let server: RedisServer;
  let redis: Redis;
  let connections: Redis[] = [];
  beforeEach(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { enableOfflineQueue: false, disconnectTimeout: 200 });
    await until('Redis to connect', () => redis.status === 'ready');
  });
  afterEach(async () => {
    redis.disconnect();
    for (const connection of connections) connection.disconnect();
    connections = [];
    await server.kill();
  });

  const scope = (id: string, rpm?: number, tpm?: number): RateScope => ({ id, rpm, tpm });

  test('takes from every scope or none, and says which refused and for how long', async () => {
    const errors: unknown[] = [];
    const store = new RedisRateLimitStore(redis, 'test:', 1000, (e) => errors.push(e));
    const wide = scope('provider:a', 5);
    const narrow = scope('deployment:a/m', 1);
    expect(await store.take([wide, narrow], 0, Date.now())).toEqual({ allowed: true, retryAt: 0 });
    const now = Date.now();
    const refused = await store.take([wide, narrow], 0, now);
    expect(refused).toEqual({ allowed: false, retryAt: expect.any(Number), scope: 'deployment:a/m' });
    expect(refused!.retryAt - now).toBeGreaterThan(59_000);
    expect(refused!.retryAt - now).toBeLessThanOrEqual(61_000);
    // The refused call took nothing from the wider scope.
    const fields = await redis.hgetall('test:provider:a');
    expect(Object.values(fields).map(Number)).toEqual([1]);
    expect(errors).toEqual([]);
  });

  test('a store that cannot reach Redis answers undefined at once', async () => {
    const store = new RedisRateLimitStore(redis, 'test:', 1000, () => {});
    redis.disconnect();
    await until('the connection to end', () => redis.status !== 'ready');
    expect(store.take([scope('deployment:a/m', 1)], 0, Date.now())).toBeUndefined();
  });

  test('a Redis that does not answer in time: undefined after the timeout', async () => {
    const store = new RedisRateLimitStore(redis, 'test:', 50, () => {});
    // Redis holds every client's commands for 300 ms: the take waits behind the pause.
    const other = new Redis(server.url, { disconnectTimeout: 200 });
    connections.push(other);
    await other.call('CLIENT', 'PAUSE', '300', 'ALL');
    const started = Date.now();
    expect(await store.take([scope('deployment:a/m', 1)], 0, Date.now())).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(250);
  });

  test('a failing command is reported and decided locally', async () => {
    const errors: unknown[] = [];
    const store = new RedisRateLimitStore(redis, 'test:', 1000, (e) => errors.push(e));
    await redis.set('test:deployment:a/m', 'not a hash');
    expect(await store.take([scope('deployment:a/m', 1)], 0, Date.now())).toBeUndefined();
    expect(String(errors[0])).toMatch(/WRONGTYPE/);
  });

  test('scripts are loaded once and run by SHA after', async () => {
    const store = new RedisRateLimitStore(redis, 'test:', 1000, () => {});
    await redis.script('FLUSH');
    await store.take([scope('deployment:a/m', 100)], 0, Date.now());
    await store.take([scope('deployment:a/m', 100)], 0, Date.now());
    const stats = (await redis.info('commandstats')).split('\n');
    const calls = (name: string) =>
      Number(/calls=(\d+)/.exec(stats.find((l) => l.startsWith(`cmdstat_${name}:`)) ?? '')?.[1] ?? 0);
    expect(calls('eval')).toBe(1);
    expect(calls('evalsha')).toBe(2);
  });
});
