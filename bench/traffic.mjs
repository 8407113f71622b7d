// What traffic control costs a call, in one run on 127.0.0.1 (upstream in its own process):
// chat() plain, with client-side rate limits (local windows, then Redis when a redis-server is
// installed), with a canary, and with a shadow that hangs (the caller must not feel it); then the
// token estimate alone, by chars/4 and by gpt-tokenizer. Prints req/s, p50/p99 and CPU per call.
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AiClient } from '@ai-failover/core';
import { shareStateThroughRedis } from '@ai-failover/redis';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const REDIS_SERVER = '/usr/bin/redis-server';
const hello = { messages: [{ role: 'user', content: 'hello there, how are you today?' }] };

async function start(script, args = []) {
  const child = fork(new URL(script, import.meta.url), args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = await once(child.stdout, 'data');
  return { child, url: String(line).trim() };
}

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const upstreams = await Promise.all([
  start('./upstream.mjs'),
  start('./upstream.mjs'),
  start('./upstream.mjs', ['--hang']),
]);
const [primary, canary, shadow] = upstreams.map((u) => u.url);
const provider = (id, baseUrl) => ({ id, baseUrl, apiKey: `bench-key-${id}`, maxConcurrent: CONCURRENCY });
const policy = { retries: 0, breaker: { volumeThreshold: 1_000_000, consecutiveFailures: 0 } };
const huge = 1_000_000_000;

const client = new AiClient({
  providers: [provider('primary', primary), provider('canary', canary), provider('shadow', shadow)],
  models: {
    plain: { deployments: [{ provider: 'primary', model: 'm' }] },
    limited: { deployments: [{ provider: 'primary', model: 'l', rateLimit: { rpm: huge, tpm: huge } }] },
    canary: {
      deployments: [{ provider: 'primary', model: 'c' }],
      canary: { deployment: { provider: 'canary', model: 'next' }, percent: 20, rollback: false },
    },
    shadowed: {
      deployments: [{ provider: 'primary', model: 's' }],
      // The shadow upstream hangs: every shadow call runs to its timeout.
      shadow: {
        deployment: { provider: 'shadow', model: 'm' },
        percent: 100,
        maxConcurrent: 4,
        timeoutMs: 200,
      },
    },
  },
  policy,
});

let redis;
let redisClient;
let sharing;
if (existsSync(REDIS_SERVER)) {
  const port = await freePort();
  redis = spawn(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  redisClient = new AiClient({
    providers: [provider('primary', primary)],
    models: {
      limited: { deployments: [{ provider: 'primary', model: 'r', rateLimit: { rpm: huge, tpm: huge } }] },
    },
    policy,
  });
  for (let i = 0; i < 100; i++) {
    try {
      sharing = await shareStateThroughRedis(redisClient, {
        redis: `redis://127.0.0.1:${port}`,
        startTimeoutMs: 500,
      });
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const scenarios = {
  'chat(), no limits': () => client.chat(hello, { model: 'plain' }),
  'chat(), rpm + tpm (local windows)': () => client.chat(hello, { model: 'limited' }),
  ...(sharing
    ? { 'chat(), rpm + tpm (windows in Redis)': () => redisClient.chat(hello, { model: 'limited' }) }
    : {}),
  'chat(), 20 % canary': () => client.chat(hello, { model: 'canary' }),
  'chat(), 100 % shadow that hangs': () => client.chat(hello, { model: 'shadowed' }),
};

async function run(fn, n) {
  const latencies = new Float64Array(n);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const t = process.hrtime.bigint();
        await fn();
        latencies[i] = Number(process.hrtime.bigint() - t) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { latencies, seconds, cpuMicros: used.user + used.system };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const fn of Object.values(scenarios)) await run(fn, 300);
const ROUNDS = 5;
const per = Math.ceil(REQUESTS / ROUNDS);
const samples = Object.fromEntries(
  Object.keys(scenarios).map((k) => [k, { rps: [], cpu: [], latencies: [] }]),
);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(scenarios)) {
    const r = await run(fn, per);
    samples[name].rps.push(per / r.seconds);
    samples[name].cpu.push(r.cpuMicros / per);
    samples[name].latencies.push(...r.latencies);
  }
}
console.log(`\nTraffic control: ${ROUNDS} rounds x ${per} calls per scenario, ${CONCURRENCY} in flight`);
console.log(
  'scenario'.padEnd(42),
  'req/s'.padStart(7),
  'p50 ms'.padStart(7),
  'p99 ms'.padStart(7),
  'CPU us/call'.padStart(12),
  'vs plain'.padStart(9),
);
let plain;
for (const [name, s] of Object.entries(samples)) {
  const sorted = s.latencies.sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const rps = median(s.rps);
  plain ??= rps;
  console.log(
    name.padEnd(42),
    rps.toFixed(0).padStart(7),
    q(0.5).toFixed(2).padStart(7),
    q(0.99).toFixed(2).padStart(7),
    median(s.cpu).toFixed(0).padStart(12),
    `${(rps / plain).toFixed(2)}x`.padStart(9),
  );
}
if (!sharing) console.log(`(no ${REDIS_SERVER}: the Redis scenario was skipped)`);
const shadowStatus = client.health().models.find((m) => m.name === 'shadowed').shadow;
console.log(
  `Shadow: ${shadowStatus.started} mirrored, ${shadowStatus.skipped} not mirrored (cap of ${shadowStatus.maxConcurrent} in flight)`,
);

// The token estimate alone.
// An internal module of the built package (not an export): loaded by path.
const coreDist = dirname(createRequire(import.meta.url).resolve('@ai-failover/core'));
const { estimateTokens, tokenCounter, CHARS_PER_TOKEN } = await import(
  pathToFileURL(join(coreDist, 'policies', 'token-estimate.js')).href
);
const tokenizer = tokenCounter();
for (const size of [1024, 16 * 1024, 64 * 1024]) {
  const body = {
    messages: [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog. '.repeat(size / 45) }],
  };
  const row = [];
  for (const counter of [CHARS_PER_TOKEN, tokenizer]) {
    const n = 200;
    estimateTokens(body, counter);
    const t = process.hrtime.bigint();
    let tokens = 0;
    for (let i = 0; i < n; i++) tokens = estimateTokens(body, counter);
    row.push(
      `${counter.name} ${(Number(process.hrtime.bigint() - t) / 1e3 / n).toFixed(1)} us (${tokens} tokens)`,
    );
  }
  console.log(`Token estimate of a ${size / 1024} KB prompt: ${row.join(', ')}`);
}

await sharing?.close();
await redisClient?.close();
await client.close();
redis?.kill('SIGKILL');
for (const u of upstreams) u.child.disconnect();
