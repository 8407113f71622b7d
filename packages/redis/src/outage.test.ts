import { AiClient } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Redis } from 'ioredis';
import { defaultNamespace, type RedisSharing, shareStateThroughRedis } from '.';
import {
  activeResources,
  availableKeys,
  breakerOf,
  describeWithRedis,
  freePort,
  hello,
  KEYS,
  type RedisServer,
  replicaConfig,
  sleep,
  spyLogger,
  startMocks,
  startRedisServer,
  until,
  untilNoMoreResourcesThan,
} from './__tests__/support';

function messages(mock: jest.Mock, pattern: RegExp): string[] {
  return mock.mock.calls.map(([message]) => String(message)).filter((message) => pattern.test(message));
}

function openEntry(deployment: string): string {
  return JSON.stringify({
    v: 1,
    origin: 'elsewhere',
    change: { kind: 'breaker', deployment, state: 'open' },
  });
}

describeWithRedis('when Redis goes away', () => {
  let mocks: [MockProvider, MockProvider];
  let servers: RedisServer[] = [];
  let clients: AiClient[] = [];
  let sharings: RedisSharing[] = [];
  let connections: Redis[] = [];
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown): void => {
    rejections.push(reason);
  };

  beforeAll(() => process.on('unhandledRejection', onRejection));
  afterAll(() => process.off('unhandledRejection', onRejection));

  beforeEach(async () => {
    mocks = await startMocks();
    rejections.length = 0;
  });

  afterEach(async () => {
    await Promise.all(sharings.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.close()));
    for (const connection of connections) connection.disconnect();
    await Promise.all(servers.map((s) => s.kill()));
    await Promise.all(mocks.map((m) => m.close()));
    sharings = [];
    clients = [];
    connections = [];
    servers = [];
    expect(rejections).toEqual([]);
  });

  function client(): AiClient {
    const created = new AiClient(replicaConfig(mocks));
    clients.push(created);
    return created;
  }

  async function server(port?: number): Promise<RedisServer> {
    const started = await startRedisServer(port);
    servers.push(started);
    return started;
  }

  test('LLM calls keep working when Redis dies mid-traffic, and close() still resolves', async () => {
    const redis = await server();
    const logger = spyLogger();
    const a = client();
    const b = client();
    const before = activeResources();
    const sharingA = await shareStateThroughRedis(a, { redis: redis.url, logger });
    const sharingB = await shareStateThroughRedis(b, { redis: redis.url });
    sharings.push(sharingA, sharingB);

    await redis.kill();
    await until('the connection error to be reported', () => logger.warn.mock.calls.length > 0);

    mocks[0].handle((req) =>
      req.apiKey === KEYS.one ? fault.rateLimited({ retryAfterSeconds: 60 }) : undefined,
    );
    mocks[0].setDefault(fault.status(503));
    for (let i = 0; i < 6; i++) {
      const started = Date.now();
      const { report } = await a.chat(hello); // key one cools down, then the breaker opens: nothing is shared
      expect(report.deployment).toBe('b/m');
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    expect(breakerOf(a, 'a/m')).toBe('open');
    expect(breakerOf(b, 'a/m')).toBe('closed');
    expect(availableKeys(b, 'a')).toBe(2);

    await sleep(400); // several reconnection attempts fail meanwhile
    const errors = messages(logger.warn, /connection error/);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2); // one per connection, not one per attempt
    expect(logger.warn.mock.calls.some(([, fields]) => JSON.stringify(fields).includes(KEYS.one))).toBe(
      false,
    );

    const closing = Date.now();
    await Promise.all([sharingA.close(), sharingB.close()]);
    expect(Date.now() - closing).toBeLessThan(1_000);
    await Promise.all([a.close(), b.close()]); // their keep-alive sockets to the mocks go too
    await untilNoMoreResourcesThan(before);
  });

  test('after Redis comes back, a replica subscribes again and reads the state it missed', async () => {
    const first = await server();
    const logger = spyLogger();
    const connection = new Redis(first.url, { retryStrategy: () => 300 });
    connection.on('error', () => {});
    connections.push(connection);
    const replica = client();
    sharings.push(await shareStateThroughRedis(replica, { redis: connection, logger }));
    const prefix = `ai-failover:${defaultNamespace(replica)}`;

    await first.kill();
    await until('the subscriber to notice', () => messages(logger.warn, /connection error/).length > 0);
    const second = await server(first.port);
    const admin = new Redis(second.url);
    connections.push(admin);
    await admin.set(`${prefix}:state:breaker:a/m`, openEntry('a/m'), 'PX', 60_000); // learned while we were away

    await until('the stored state to be read again', () => breakerOf(replica, 'a/m') === 'open', 5_000);
    expect(messages(logger.info, /restored/).length).toBeGreaterThanOrEqual(1);
    await admin.publish(`${prefix}:changes`, openEntry('b/m'));
    await until('the channel to work again', () => breakerOf(replica, 'b/m') === 'open');
  });

  test('start resolves after startTimeoutMs without Redis, and reads the state once Redis answers', async () => {
    const port = await freePort();
    const logger = spyLogger();
    const replica = client();
    const before = activeResources();
    const started = Date.now();
    const sharing = await shareStateThroughRedis(replica, {
      redis: `redis://127.0.0.1:${port}`,
      startTimeoutMs: 200,
      logger,
    });
    sharings.push(sharing);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(messages(logger.warn, /did not answer in time/)).toHaveLength(1);
    const { report } = await replica.chat(hello);
    expect(report.deployment).toBe('a/m');

    const redis = await server(port);
    const admin = new Redis(redis.url);
    connections.push(admin);
    await admin.set(`ai-failover:${sharing.namespace}:state:breaker:a/m`, openEntry('a/m'), 'PX', 60_000);
    await until('the state to be read once Redis answers', () => breakerOf(replica, 'a/m') === 'open', 8_000);

    await sharing.close();
    await untilNoMoreResourcesThan({ ...before, TCPSocketWrap: (before.TCPSocketWrap ?? 0) + 1 }); // + admin
  });

  test('close() right after start, with Redis unreachable, leaves no timer or socket', async () => {
    const port = await freePort();
    const replica = client();
    const before = activeResources();
    const sharing = await shareStateThroughRedis(replica, {
      redis: `redis://127.0.0.1:${port}`,
      startTimeoutMs: 0,
    });
    await sharing.close();
    await untilNoMoreResourcesThan(before);
  });
});
