// Benchmarks: the cost ai-failover adds to a call, against a direct undici call to the same upstream
// and against the same call through a proxy hop (what a separate gateway adds), all in one run on
// 127.0.0.1. The upstream and the proxy run in processes of their own. Prints throughput, latency percentiles, ratios and memory per request.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { AiClient } from '@ai-failover/core';
import { Pool } from 'undici';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const request = { model: 'm', messages: [{ role: 'user', content: 'hello there, how are you today?' }] };

/** Starts a helper process and reads the URL it prints. */
async function start(script, args = []) {
  const child = fork(new URL(script, import.meta.url), args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [line] = await once(child.stdout, 'data');
  return { child, url: String(line).trim() };
}

const upstream = await start('./upstream.mjs');
const gateway = await start('./proxy.mjs', [upstream.url]);
const mock = { baseUrl: upstream.url };
const origin = new URL(upstream.url).origin;
const proxyOrigin = gateway.url;

const direct = new Pool(origin, { connections: CONCURRENCY });
const viaProxy = new Pool(proxyOrigin, { connections: CONCURRENCY });
const client = new AiClient({
  providers: [
    { id: 'down', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'bench-key-down' },
    { id: 'up', baseUrl: mock.baseUrl, apiKey: 'bench-key-up', maxConcurrent: CONCURRENCY },
  ],
  models: {
    plain: { deployments: [{ provider: 'up', model: 'm', price: { input: 1, output: 2 } }] },
    failover: {
      deployments: [
        { provider: 'down', model: 'm' },
        { provider: 'up', model: 'm' },
      ],
    },
  },
  policy: { retries: 0, breaker: { volumeThreshold: 1000000, consecutiveFailures: 0 } },
  // Keep the refusing primary first in line, so every call of that scenario pays for a failover.
  health: { unhealthyAfter: 1000000 },
});

const headers = { 'content-type': 'application/json', authorization: 'Bearer bench-key-up' };
/** What a hand-written call does: serialize, send, parse. */
async function post(pool) {
  const body = JSON.stringify(request);
  const res = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers, body });
  return JSON.parse(await res.body.text());
}

const scenarios = {
  'direct undici call': () => post(direct),
  'through a proxy hop': () => post(viaProxy),
  'ai-failover chat()': () =>
    client.chat(
      { messages: [{ role: 'user', content: 'hello there, how are you today?' }] },
      { model: 'plain' },
    ),
  'ai-failover chat(), primary refusing (no breaker)': () =>
    client.chat(
      { messages: [{ role: 'user', content: 'hello there, how are you today?' }] },
      { model: 'failover' },
    ),
};

/** Runs `n` calls with CONCURRENCY in flight; returns latencies, wall time and this process's CPU time. */
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

// Warm up every path (connections, JIT).
for (const fn of Object.values(scenarios)) await run(fn, 500);

// Rounds alternate between scenarios so drift on a shared machine hits them alike.
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
const results = Object.entries(samples).map(([name, s]) => {
  const sorted = s.latencies.sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { name, rps: median(s.rps), cpu: median(s.cpu), p50: q(0.5), p99: q(0.99) };
});
const base = results[0];
const proxied = results[1];

console.log(
  `\nThroughput and latency: ${ROUNDS} rounds x ${per} calls per scenario, ${CONCURRENCY} in flight, upstream on 127.0.0.1 (own process, no added latency)`,
);
console.log(
  'scenario'.padEnd(50),
  'req/s'.padStart(7),
  'p50 ms'.padStart(7),
  'p99 ms'.padStart(7),
  'CPU us/call'.padStart(12),
  'req/s vs direct'.padStart(16),
  'vs proxy'.padStart(9),
);
for (const r of results) {
  console.log(
    r.name.padEnd(50),
    r.rps.toFixed(0).padStart(7),
    r.p50.toFixed(2).padStart(7),
    r.p99.toFixed(2).padStart(7),
    r.cpu.toFixed(0).padStart(12),
    `${(r.rps / base.rps).toFixed(2)}x`.padStart(16),
    `${(r.rps / proxied.rps).toFixed(2)}x`.padStart(9),
  );
}
const ours = results[2];
console.log(
  `\nClient CPU per call: ai-failover ${ours.cpu.toFixed(0)} us vs direct undici ${base.cpu.toFixed(0)} us (${(ours.cpu / base.cpu).toFixed(2)}x);` +
    ` latency p50: ai-failover ${(ours.p50 / base.p50).toFixed(2)}x direct, proxy hop ${(proxied.p50 / base.p50).toFixed(2)}x direct.`,
);
console.log("(The proxy hop's CPU is spent in its own process, so its column shows only the client side.)");

// Memory: heap retained across many calls (should stay flat: no per-request leak).
async function heapAfter(n) {
  for (let i = 0; i < n; i++)
    await client.chat({ messages: [{ role: 'user', content: 'hi' }] }, { model: 'plain' });
  global.gc?.();
  await new Promise((r) => setTimeout(r, 50));
  global.gc?.();
  return process.memoryUsage().heapUsed;
}
if (global.gc) {
  const h1 = await heapAfter(2000);
  const h2 = await heapAfter(10000);
  console.log(
    `\nHeap after 2 000 more calls: ${(h1 / 1048576).toFixed(1)} MiB; after 10 000 more: ${(h2 / 1048576).toFixed(1)} MiB; retained per call: ${((h2 - h1) / 10000).toFixed(1)} bytes`,
  );
} else {
  console.log('\n(run with --expose-gc for the memory figure)');
}

await client.close();
await direct.close();
await viaProxy.close();
upstream.child.disconnect();
gateway.child.disconnect();
