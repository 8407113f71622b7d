/**
 * `@ai-failover/redis` with core as its peer: a breaker one client opens reaches another client
 * through a real redis-server on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAiClient } from '@ai-failover/core';
import { shareStateThroughRedis } from '@ai-failover/redis';
import { fault } from '@ai-failover/testing';
import { assert, configFor, startMocks } from './check.js';

const REDIS_SERVER = '/usr/bin/redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => socket.end(() => resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  if (!existsSync(REDIS_SERVER)) {
    if (process.env.CI === 'true') throw new Error(`${REDIS_SERVER} is not installed`);
    console.log(`skipped redis: ${REDIS_SERVER} is not installed`);
    return;
  }
  const port = await freePort();
  const server = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const mocks = await startMocks();
  const config = { ...configFor(mocks), policy: { retries: 0, breaker: { consecutiveFailures: 1 } } };
  const a = createAiClient(config);
  const b = createAiClient(config);
  try {
    for (let i = 0; !(await answers(port)); i++) {
      if (i === 100) throw new Error('redis-server did not start');
      await sleep(50);
    }
    const url = `redis://127.0.0.1:${port}`;
    const sharing = await Promise.all([
      shareStateThroughRedis(a, { redis: url }),
      shareStateThroughRedis(b, { redis: url }),
    ]);
    mocks.primary.script(fault.status(503));
    const { report } = await a.chat({ messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(report.deployment, 'backup/mock-model');
    const breakerOfB = () => b.health().deployments.find((d) => d.id === 'primary/mock-model')?.breaker;
    for (let i = 0; breakerOfB() !== 'open'; i++) {
      if (i === 100) throw new Error(`the other client's breaker is ${breakerOfB()}, not open`);
      await sleep(50);
    }
    await Promise.all(sharing.map((s) => s.close()));
    console.log('ok redis: a breaker opened by one client opened on the other through redis-server');
  } finally {
    await Promise.all([a.close(), b.close()]);
    await mocks.close();
    server.kill('SIGKILL');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
