// The offline demo: two mock providers on 127.0.0.1, the primary goes down and comes back on a
// schedule, and steady traffic flows through ai-failover. Prints a live line and a summary.
import { AiClient } from '@ai-failover/core';
import { fault, MockProvider } from '@ai-failover/testing';

const DURATION_MS = Number(process.env.DEMO_DURATION_MS ?? 6000);
const CONCURRENCY = 4;
const tty = process.stdout.isTTY;

const primary = await MockProvider.start({ name: 'primary', latencyMs: { min: 20, max: 60 } });
const secondary = await MockProvider.start({ name: 'secondary', latencyMs: { min: 40, max: 90 } });
// Healthy for 1.5 s, down (503) for 2.5 s, then healthy again.
primary.schedule([
  { fault: fault.ok(), forMs: DURATION_MS * 0.25 },
  { fault: fault.status(503), forMs: DURATION_MS * 0.4 },
  { fault: fault.ok() },
]);

const client = new AiClient({
  providers: [
    { id: 'primary', baseUrl: primary.baseUrl, apiKey: 'demo-key-primary' },
    { id: 'secondary', baseUrl: secondary.baseUrl, apiKey: 'demo-key-secondary' },
  ],
  models: {
    chat: {
      deployments: [
        { provider: 'primary', model: 'gpt-4.1', price: { input: 2, output: 8 } },
        { provider: 'secondary', model: 'gpt-4.1', price: { input: 2.5, output: 10 } },
      ],
    },
  },
  policy: { retries: 0, breaker: { volumeThreshold: 5, resetTimeoutMs: 800, rollingWindowMs: 2000 } },
});

const stats = { requests: 0, ok: 0, failed: 0, failovers: 0, cost: 0, latencies: [], byDeployment: {} };
const started = Date.now();
const at = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (line) => {
  if (tty) process.stdout.write('\r\x1b[2K');
  console.log(`${at()}  ${line}`);
};
client.on('breakerOpen', (e) => say(`breaker OPEN      ${e.deployment} (calls skip it now)`));
client.on('breakerHalfOpen', (e) => say(`breaker HALF-OPEN ${e.deployment} (one probe call allowed)`));
client.on('breakerClose', (e) => say(`breaker CLOSED    ${e.deployment} (back in service)`));
client.on('healthChange', (e) => say(`health            ${e.deployment}: ${e.previous} -> ${e.status}`));

function progress() {
  const line = `${at()}  requests ${stats.requests}  ok ${stats.ok}  failed ${stats.failed}  failovers ${stats.failovers}  ${Object.entries(
    stats.byDeployment,
  )
    .map(([d, n]) => `${d}=${n}`)
    .join(' ')}`;
  if (tty) process.stdout.write(`\r\x1b[2K${line}`);
}
const ticker = setInterval(() => (tty ? progress() : undefined), 100);
const plain = tty
  ? undefined
  : setInterval(
      () => console.log(`${at()}  requests ${stats.requests}  ok ${stats.ok}  failovers ${stats.failovers}`),
      1000,
    );

async function worker() {
  while (Date.now() - started < DURATION_MS) {
    stats.requests++;
    try {
      const { report } = await client.chat({
        messages: [{ role: 'user', content: 'Say hello in five words.' }],
      });
      stats.ok++;
      stats.failovers += report.failovers;
      stats.cost += report.costUsd ?? 0;
      stats.latencies.push(report.latencyMs);
      stats.byDeployment[report.deployment] = (stats.byDeployment[report.deployment] ?? 0) + 1;
    } catch (error) {
      stats.failed++;
      say(`request failed: ${error.code}: ${error.message}`);
    }
    await new Promise((r) => setTimeout(r, 15));
  }
}

await Promise.all(Array.from({ length: CONCURRENCY }, worker));
clearInterval(ticker);
if (plain) clearInterval(plain);
if (tty) process.stdout.write('\r\x1b[2K');

const sorted = stats.latencies.sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const health = client.health();
console.log('\nSummary');
console.log(`  requests   ${stats.requests}`);
console.log(`  successes  ${stats.ok} (${((stats.ok / stats.requests) * 100).toFixed(1)}%)`);
console.log(`  failed     ${stats.failed}`);
console.log(`  failovers  ${stats.failovers}`);
console.log(`  latency    p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
console.log(`  cost       $${stats.cost.toFixed(6)}`);
console.log(
  `  served by  ${Object.entries(stats.byDeployment)
    .map(([d, n]) => `${d}: ${n}`)
    .join(', ')}`,
);
console.log(
  `  health     ${health.status}; ${health.deployments.map((d) => `${d.id} ${d.status}/${d.breaker}`).join(', ')}`,
);

await client.close();
await Promise.all([primary.close(), secondary.close()]);
