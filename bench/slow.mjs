// Slow and hung providers: p50/p99 latency of calls with and without hedging, side by side, in one
// run on 127.0.0.1. Two mock providers run in this process; the primary misbehaves, the secondary
// answers in about 40 ms. Each scenario gets fresh clients, so what one learns (health, breakers)
// does not carry over. The attempt timeout and deadline are the defaults scaled down 30x (1 s / 2 s).
import { AiClient } from '@ai-failover/core';
import { fault, MockProvider } from '@ai-failover/testing';

const CALLS = Number(process.env.BENCH_CALLS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const HEDGE = { percentile: 95, afterMs: 150 };
const hello = { messages: [{ role: 'user', content: 'hello there, how are you today?' }] };

/** A seeded generator: every run draws the same faults. */
function seeded(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const normal = { mean: 40, stddev: 8 };
const scenarios = [
  {
    name: 'primary hangs on 10% of calls',
    primary: (random) => (random() < 0.1 ? fault.hang() : fault.ok({ latencyMs: normal })),
  },
  {
    name: 'primary takes 1.5 s on 10% of calls',
    primary: (random) => fault.ok({ latencyMs: random() < 0.1 ? 1500 : normal }),
  },
  { name: 'primary always hung', primary: () => fault.hang() },
  { name: 'primary always slow (1.5 s)', primary: () => fault.ok({ latencyMs: 1500 }) },
];

/** Runs the scenario's calls through a fresh client and mocks; returns latencies and hedge counts. */
async function measure(scenario, hedge) {
  const primary = await MockProvider.start({ name: 'primary' });
  const secondary = await MockProvider.start({ name: 'secondary', latencyMs: normal });
  const random = seeded(42);
  primary.handle(() => scenario.primary(random));
  const client = new AiClient({
    providers: [
      { id: 'primary', baseUrl: primary.baseUrl, apiKey: 'bench-key-primary', timeoutMs: 1000 },
      { id: 'secondary', baseUrl: secondary.baseUrl, apiKey: 'bench-key-secondary', timeoutMs: 1000 },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'primary', model: 'm' },
          { provider: 'secondary', model: 'm' },
        ],
        ...(hedge ? { hedge: HEDGE } : {}),
      },
    },
    policy: { deadlineMs: 2000 },
  });
  const latencies = [];
  let hedges = 0;
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CALLS) {
        next++;
        const t = performance.now();
        try {
          const { report } = await client.chat(hello);
          hedges += report.hedges ?? 0;
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t);
      }
    }),
  );
  const wallMs = performance.now() - started;
  await client.close();
  await Promise.all([primary.close(), secondary.close()]);
  latencies.sort((a, b) => a - b);
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
  return { p50: at(50), p99: at(99), max: latencies.at(-1), hedges, errors, wallMs };
}

const ms = (v) => `${Math.round(v)} ms`.padStart(8);
console.log(
  `${CALLS} calls per run, ${CONCURRENCY} in flight; hedge ${JSON.stringify(HEDGE)}; attempt timeout 1 s, deadline 2 s\n`,
);
console.log(
  `${'scenario'.padEnd(36)} ${'p50'.padStart(8)} ${'p50 hedged'.padStart(11)} ${'p99'.padStart(8)} ${'p99 hedged'.padStart(11)} ${'hedges'.padStart(7)} errors`,
);
for (const scenario of scenarios) {
  const plain = await measure(scenario, false);
  const hedged = await measure(scenario, true);
  console.log(
    `${scenario.name.padEnd(36)} ${ms(plain.p50)} ${ms(hedged.p50).padStart(11)} ${ms(plain.p99)} ${ms(hedged.p99).padStart(11)} ${`${((100 * hedged.hedges) / CALLS).toFixed(1)}%`.padStart(7)} ${plain.errors}/${hedged.errors}`,
  );
}
console.log(
  '\nhedges: extra attempts started by hedging, per call. errors: failed calls without / with hedging.',
);
