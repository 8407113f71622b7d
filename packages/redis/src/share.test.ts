import { createHash } from 'node:crypto';
import { AiClient, type AiFailoverConfig } from '@ai-failover/core';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Redis } from 'ioredis';
import { defaultNamespace, type RedisSharing, type RedisSharingOptions, shareStateThroughRedis } from '.';
import {
  activeResources,
  availableKeys,
  breakerOf,
  describeWithRedis,
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

function warnings(logger: { warn: jest.Mock }): string[] {
  return logger.warn.mock.calls.map(([message]) => String(message));
}

describeWithRedis('sharing state through a real Redis', () => {
  let server: RedisServer;
  let admin: Redis;
  let mocks: [MockProvider, MockProvider];
  let clients: AiClient[] = [];
  let sharings: RedisSharing[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });

  afterAll(async () => {
    await admin.quit();
    await server.kill();
  });

  beforeEach(async () => {
    await admin.flushall();
    mocks = await startMocks();
  });

  afterEach(async () => {
    await Promise.all(sharings.map((s) => s.close()));
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(mocks.map((m) => m.close()));
    sharings = [];
    clients = [];
  });

  /** A replica over the test's mocks, sharing through the test server. */
  async function replica(
    config: AiFailoverConfig = replicaConfig(mocks),
    options: Partial<RedisSharingOptions> = {},
  ): Promise<{ client: AiClient; sharing: RedisSharing }> {
    const client = new AiClient(config);
    clients.push(client);
    const sharing = await shareStateThroughRedis(client, { redis: server.url, ...options });
    sharings.push(sharing);
    return { client, sharing };
  }

  const stateKey = (sharing: RedisSharing, subject: string): string =>
    `ai-failover:${sharing.namespace}:state:${subject}`;

  /** Drives three calls on `client` against a failing `a`: its breaker opens (the calls are served by `b`). */
  async function openBreakerOfA(client: AiClient): Promise<void> {
    mocks[0].setDefault(fault.status(503));
    for (let i = 0; i < 3; i++) {
      const { report } = await client.chat(hello);
      expect(report.deployment).toBe('b/m');
    }
    expect(breakerOf(client, 'a/m')).toBe('open');
  }

  test('a breaker one replica opens opens on the others, which then make no attempt on it', async () => {
    const a = await replica();
    const b = await replica();
    const appliedOnA = jest.spyOn(a.client, 'applyStateChange');

    await openBreakerOfA(a.client);
    await until('B to learn the open breaker', () => breakerOf(b.client, 'a/m') === 'open');

    const key = stateKey(a.sharing, 'breaker:a/m');
    const stored = JSON.parse((await admin.get(key))!) as Record<string, unknown>;
    expect(stored).toEqual({
      v: 1,
      origin: a.sharing.origin,
      change: { kind: 'breaker', deployment: 'a/m', state: 'open', until: expect.any(Number) },
    });
    // Kept exactly until the breaker lets a probe through (its reset window, 60 s here).
    const reopensAt = (stored.change as { until: number }).until;
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(Math.abs(Date.now() + ttl - reopensAt)).toBeLessThan(2_000);

    const before = mocks[0].requests.length;
    for (let i = 0; i < 3; i++) {
      const { report } = await b.client.chat(hello);
      expect(report.deployment).toBe('b/m');
      expect(report.attempts.map((attempt) => attempt.deployment)).toEqual(['b/m']);
    }
    expect(mocks[0].requests.length).toBe(before);

    await sleep(50);
    expect(appliedOnA).not.toHaveBeenCalled(); // its own message came back and was ignored
  });

  test('a key one replica saw rate-limited is skipped by the others, which use the other key', async () => {
    const a = await replica();
    const b = await replica();
    mocks[0].handle((req) =>
      req.apiKey === KEYS.one ? fault.rateLimited({ retryAfterSeconds: 120 }) : undefined,
    );

    await a.client.chat(hello);
    expect(mocks[0].requests[0]!.apiKey).toBe(KEYS.one);
    await until('B to learn the cooldown', () => availableKeys(b.client, 'a') === 1);

    const [key, ...others] = await admin.keys(`ai-failover:${a.sharing.namespace}:state:cooldown:a:*`);
    expect(others).toEqual([]);
    const ttl = await admin.pttl(key!);
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);

    const before = mocks[0].requests.length;
    for (let i = 0; i < 4; i++) {
      const { report } = await b.client.chat(hello);
      expect(report.deployment).toBe('a/m');
    }
    expect(mocks[0].requests.slice(before).map((r) => r.apiKey)).toEqual([
      KEYS.two,
      KEYS.two,
      KEYS.two,
      KEYS.two,
    ]);
  });

  test('a replica that starts later learns what the others know before it serves anything', async () => {
    const a = await replica();
    mocks[0].handle((req) =>
      req.apiKey === KEYS.one ? fault.rateLimited({ retryAfterSeconds: 120 }) : undefined,
    );
    await a.client.chat(hello);
    await openBreakerOfA(a.client);
    const pattern = `ai-failover:${a.sharing.namespace}:state:*`;
    await until('both changes to be stored', async () => (await admin.keys(pattern)).length === 2);

    const c = await replica();
    expect(c.sharing.namespace).toBe(a.sharing.namespace);
    expect(breakerOf(c.client, 'a/m')).toBe('open');
    expect(availableKeys(c.client, 'a')).toBe(1);

    const before = mocks[0].requests.length;
    const { report } = await c.client.chat(hello);
    expect(report.deployment).toBe('b/m');
    expect(mocks[0].requests.length).toBe(before);
  });

  test('an upstream wait is shared cut to an hour; a stored time centuries ahead is ignored', async () => {
    const a = await replica();
    mocks[0].handle((req) =>
      req.apiKey === KEYS.one ? fault.status(429, { headers: { 'retry-after-ms': '1e300' } }) : undefined,
    );
    await a.client.chat(hello);
    const pattern = `ai-failover:${a.sharing.namespace}:state:cooldown:*`;
    await until('the cooldown to be stored', async () => (await admin.keys(pattern)).length === 1);
    const [stored] = await admin.keys(pattern);
    const ttl = await admin.pttl(stored!);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);

    // A value no replica produces (written by hand, or by an older version): ignored, not spread.
    const fingerprint = createHash('sha256').update(KEYS.two).digest('base64url').slice(0, 16);
    await admin.set(
      `ai-failover:${a.sharing.namespace}:state:cooldown:a:${fingerprint}`,
      JSON.stringify({
        v: 1,
        origin: 'elsewhere',
        change: {
          kind: 'cooldown',
          provider: 'a',
          key: fingerprint,
          deployment: 'a/m',
          until: 1e300,
          reason: 'rate_limited',
        },
      }),
    );
    const logger = spyLogger();
    const c = await replica(undefined, { logger });
    expect(warnings(logger)).toEqual([expect.stringMatching(/until is more than a day ahead/)]);
    expect(availableKeys(c.client, 'a')).toBe(1);
    expect(c.client.health().httpStatus).toBe(200);
    const { report } = await c.client.chat(hello);
    expect(report.deployment).toBe('a/m');
  });

  test('a breaker closed by a real probe is deleted from Redis and closes on the others', async () => {
    const config = replicaConfig(mocks, { breaker: { volumeThreshold: 2, resetTimeoutMs: 300 } });
    const a = await replica(config);
    const b = await replica(config);
    await openBreakerOfA(a.client);
    await until('B to learn the open breaker', () => breakerOf(b.client, 'a/m') === 'open');
    const key = stateKey(a.sharing, 'breaker:a/m');
    expect(await admin.exists(key)).toBe(1);

    mocks[0].setDefault(fault.ok());
    await until('A to let a probe through', () => breakerOf(a.client, 'a/m') === 'half-open');
    const { report } = await a.client.chat(hello);
    expect(report.deployment).toBe('a/m');
    expect(breakerOf(a.client, 'a/m')).toBe('closed');

    const requestsOfB = mocks[0].requests.length;
    await until('B to learn the closed breaker', () => breakerOf(b.client, 'a/m') === 'closed');
    expect(mocks[0].requests.length).toBe(requestsOfB); // B closed it without a probe of its own
    expect(await admin.exists(key)).toBe(0);
  });

  test('malformed messages and stored entries are ignored, and sharing keeps working', async () => {
    const probe = new AiClient(replicaConfig(mocks));
    clients.push(probe);
    const namespace = defaultNamespace(probe);
    const prefix = `ai-failover:${namespace}`;
    const foreign = (change: unknown): string => JSON.stringify({ v: 1, origin: 'elsewhere', change });
    await admin.set(`${prefix}:state:breaker:a/m`, 'not json');
    await admin.set(
      `${prefix}:state:breaker:b/m`,
      foreign({ kind: 'breaker', deployment: 'a/m', state: 'open' }), // stored under another subject
    );
    await admin.set(
      `${prefix}:state:cooldown:a:x`,
      JSON.stringify({ v: 1, origin: 'elsewhere', change: [] }),
    );

    const logger = spyLogger();
    const b = await replica(undefined, { logger });
    expect(breakerOf(b.client, 'a/m')).toBe('closed');
    expect(breakerOf(b.client, 'b/m')).toBe('closed');
    expect(warnings(logger)).toEqual([
      expect.stringMatching(/^ai-failover: ignored a stored entry from Redis/),
    ]);

    const garbage = [
      'not json',
      '',
      'null',
      '[]',
      '42',
      'x'.repeat(20_000),
      JSON.stringify({
        v: 2,
        origin: 'elsewhere',
        change: { kind: 'breaker', deployment: 'a/m', state: 'open' },
      }),
      JSON.stringify({ v: 1, change: { kind: 'breaker', deployment: 'a/m', state: 'open' } }),
      foreign(null),
      foreign({ kind: 'breaker', deployment: 'a/m', state: 'half-open' }),
      foreign({ kind: 'breaker', deployment: 42, state: 'open' }),
      foreign({ kind: 'explode', deployment: 'a/m' }),
      foreign({
        kind: 'cooldown',
        provider: 'a',
        key: null,
        deployment: 'a/m',
        until: 'soon',
        reason: 'auth',
      }),
      foreign({ kind: 'cooldown', provider: 'a', key: 7, deployment: 'a/m', until: 1, reason: 'auth' }),
      foreign({
        kind: 'cooldown',
        provider: 'a',
        key: null,
        deployment: 'a/m',
        until: 1e15,
        reason: 'bored',
      }),
      foreign({ kind: 'breaker', deployment: 'zz/m', state: 'open' }), // well-formed, not configured here
      foreign({ kind: 'breaker', deployment: 'a/m', state: 'open', extra: { toString: 1 } }),
    ];
    for (const message of garbage.slice(0, -1)) await admin.publish(b.sharing.channel, message);
    await sleep(50);
    expect(breakerOf(b.client, 'a/m')).toBe('closed');
    const { report } = await b.client.chat(hello);
    expect(report.deployment).toBe('a/m');

    await admin.publish(b.sharing.channel, garbage.at(-1)!); // extra fields are dropped, the change applies
    await until('the well-formed change to apply', () => breakerOf(b.client, 'a/m') === 'open');
  });

  test('replicas in different namespaces, or with other deployments, do not see each other', async () => {
    const a = await replica(undefined, { namespace: 'shop-prod', prefix: 'llm' });
    const b = await replica(undefined, { namespace: 'shop-staging', prefix: 'llm' });
    const other = replicaConfig(mocks);
    other.models = { chat: { deployments: [{ provider: 'a', model: 'm' }] } };
    const c = await replica(other);
    const d = await replica();
    expect(c.sharing.namespace).not.toBe(d.sharing.namespace);

    await openBreakerOfA(a.client);
    expect(await admin.exists('llm:shop-prod:state:breaker:a/m')).toBe(1);
    expect(a.sharing.channel).toBe('llm:shop-prod:changes');
    await sleep(100);
    expect(breakerOf(b.client, 'a/m')).toBe('closed');
    expect(breakerOf(c.client, 'a/m')).toBe('closed');
    expect(breakerOf(d.client, 'a/m')).toBe('closed');
  });

  test('a connection with a keyPrefix stores under that prefix and reads it back at start', async () => {
    const connections = [
      new Redis(server.url, { keyPrefix: 'tenant-1:' }),
      new Redis(server.url, { keyPrefix: 'tenant-1:' }),
    ];
    try {
      const a = await replica(undefined, { redis: connections[0]! });
      mocks[0].handle((req) =>
        req.apiKey === KEYS.one ? fault.rateLimited({ retryAfterSeconds: 120 }) : undefined,
      );
      await a.client.chat(hello);
      await openBreakerOfA(a.client);
      const pattern = `tenant-1:ai-failover:${a.sharing.namespace}:state:*`;
      await until('both changes to be stored', async () => (await admin.keys(pattern)).length === 2);

      const c = await replica(undefined, { redis: connections[1]! });
      expect(breakerOf(c.client, 'a/m')).toBe('open');
      expect(availableKeys(c.client, 'a')).toBe(1);
    } finally {
      await Promise.all(sharings.map((s) => s.close()));
      await Promise.all(connections.map((connection) => connection.quit()));
    }
  });

  test('no API key reaches Redis: every command and every stored value is free of them', async () => {
    const monitor = await admin.monitor();
    const seen: string[] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(...args));
    try {
      const config = replicaConfig(mocks, { breaker: { volumeThreshold: 2, resetTimeoutMs: 200 } });
      const a = await replica(config);
      await replica(config);
      mocks[0].handle((req) => (req.apiKey === KEYS.one ? fault.unauthorized() : undefined));
      await a.client.chat(hello); // key one refused: an auth cooldown
      await openBreakerOfA(a.client);
      const stored: string[] = [];
      for (const key of await admin.keys('*')) stored.push(key, (await admin.get(key)) ?? '');
      expect(stored.some((text) => text.includes('"kind":"cooldown"'))).toBe(true);
      expect(stored.some((text) => text.includes('"kind":"breaker"'))).toBe(true);
      await until('the commands to be seen', () => seen.some((arg) => arg.includes('"state":"open"')));
      for (const text of [...stored, ...seen]) {
        for (const secret of Object.values(KEYS)) expect(text).not.toContain(secret);
      }
    } finally {
      monitor.disconnect();
    }
  });

  test('close() removes its listener, quits its connections and leaves no handle behind', async () => {
    const client = new AiClient(replicaConfig(mocks));
    clients.push(client);
    await client.chat(hello); // the client's own sockets are open before the count
    const before = activeResources();

    const sharing = await shareStateThroughRedis(client, { redis: server.url });
    sharings.push(sharing);
    const clientsOnServer = async (): Promise<number> =>
      ((await admin.client('LIST')) as string).split('\n').filter(Boolean).length;
    await until("admin and the sharing's two connections", async () => (await clientsOnServer()) === 3);
    await sharing.close();
    await sharing.close();
    await untilNoMoreResourcesThan(before);
    await until('only admin to be left', async () => (await clientsOnServer()) === 1);

    await openBreakerOfA(client); // changes after close() are not shared
    await sleep(50);
    expect(await admin.keys('*')).toEqual([]);
  });

  test('an ioredis connection passed in is used and left open; the subscriber it spawned is closed', async () => {
    const connection = new Redis(server.url);
    try {
      await until('the connection', () => connection.status === 'ready');
      const listeners = connection.eventNames().map((name) => [name, connection.listenerCount(name)]);
      const a = await replica(undefined, { redis: connection });
      const b = await replica();
      await openBreakerOfA(a.client);
      await until('B to learn the open breaker', () => breakerOf(b.client, 'a/m') === 'open');

      await a.sharing.close();
      expect(connection.status).toBe('ready');
      expect(await connection.ping()).toBe('PONG');
      expect(connection.eventNames().map((name) => [name, connection.listenerCount(name)])).toEqual(
        listeners,
      );
      const names = ((await admin.client('LIST')) as string).split('\n').filter(Boolean);
      expect(names).toHaveLength(4); // admin, the connection, and B's two
    } finally {
      await connection.quit();
    }
  });
});
