/** Helpers of the Redis tests: a real redis-server per suite, replicas over mock providers, polling. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import type { AiClient, AiFailoverConfig, BreakerState, Logger, PolicyConfig } from '@ai-failover/core';
import { MockProvider } from '@ai-failover/testing';
import { activeResources, sleep } from '@ai-failover/testing/support';

export { activeResources, sleep } from '@ai-failover/testing/support';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** `describe`, or `describe.skip` with a note saying why when there is no redis-server to run. */
export function describeWithRedis(name: string, body: () => void): void {
  // In CI (.ci/run installs redis-server) a missing server fails the suite instead of skipping it.
  if (existsSync(REDIS_SERVER) || process.env.CI === 'true') {
    describe(name, body);
    return;
  }
  console.warn(`Skipping "${name}": ${REDIS_SERVER} is not installed (apt-get install redis-server)`);
  describe.skip(name, body);
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL: as abrupt as a crash) and waits until the process is gone. */
  kill(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server without persistence on `port` (default: a free one) and waits for it to answer. */
export async function startRedisServer(port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn(
    REDIS_SERVER,
    ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPong(chosen, child);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

async function waitForPong(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Polls `check` until it is true; fails with `what` after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The API keys of the test config: provider `a` has two, `b` one. */
export const KEYS = { one: 'key-one-4a1f9c2e7b', two: 'key-two-8d3e6b0a5c', b: 'key-b-1c7f2e9d04' } as const;

export const hello = { messages: [{ role: 'user', content: 'Hello' }] };

/** Two mock providers, `a` (tried first) and `b`. */
export function startMocks(): Promise<[MockProvider, MockProvider]> {
  return Promise.all([MockProvider.start({ name: 'a' }), MockProvider.start({ name: 'b' })]);
}

/** One group `chat` over `a/m` then `b/m`; a breaker that opens after two failures. */
export function replicaConfig(mocks: readonly MockProvider[], policy: PolicyConfig = {}): AiFailoverConfig {
  return {
    providers: [
      { id: 'a', baseUrl: mocks[0]!.baseUrl, apiKey: [KEYS.one, KEYS.two] },
      { id: 'b', baseUrl: mocks[1]!.baseUrl, apiKey: KEYS.b },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    policy: { retries: 0, breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 }, ...policy },
  };
}

export function breakerOf(client: AiClient, deployment: string): BreakerState | undefined {
  return client.health().deployments.find((d) => d.id === deployment)?.breaker;
}

export function availableKeys(client: AiClient, provider: string): number | undefined {
  return client.health().providers.find((p) => p.id === provider)?.keys.available;
}

/** Waits until no kind of handle counts more than it did in `before`. */
export async function untilNoMoreResourcesThan(
  before: Record<string, number>,
  timeoutMs = 3_000,
): Promise<void> {
  let extra: string[] = [];
  try {
    await until(
      'handles to close',
      () => {
        const now = activeResources();
        extra = Object.keys(now).filter((kind) => (now[kind] ?? 0) > (before[kind] ?? 0));
        return extra.length === 0;
      },
      timeoutMs,
    );
  } catch {
    throw new Error(`handles left open: ${extra.join(', ')} (before: ${JSON.stringify(before)})`);
  }
}

/** A logger whose every method is a Jest mock. */
export function spyLogger(): Logger & { [K in 'debug' | 'info' | 'warn' | 'error']: jest.Mock } {
  return { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error: jest.fn() };
}
