/**
 * The offline demo: the Express example on 127.0.0.1 with two mock providers; the primary goes down
 * and comes back on a schedule while steady traffic hits `POST /chat`. The terminal shows what
 * happens (failovers, the breaker opening and closing, health changes) with a live progress line,
 * and a summary at the end. `DEMO_DURATION_MS` sets the length (default 8 s).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AiFailoverConfig } from '@ai-failover/core';
import { fault, MockProvider } from '@ai-failover/testing';
import { createApp } from './app';

const DURATION_MS = Number(process.env.DEMO_DURATION_MS ?? 8000);
const CONCURRENCY = 4;
const tty = process.stdout.isTTY === true;

interface Answer {
  deployment: string | null;
  failovers: number;
  costUsd: number | null;
  latencyMs: number;
}

async function main(): Promise<void> {
  const primary = await MockProvider.start({ name: 'primary', latencyMs: { min: 20, max: 60 } });
  const secondary = await MockProvider.start({ name: 'secondary', latencyMs: { min: 40, max: 90 } });
  // Healthy for a quarter of the run, down (503) for the next 40 %, then healthy again.
  primary.schedule([
    { fault: fault.ok(), forMs: DURATION_MS * 0.25 },
    { fault: fault.status(503), forMs: DURATION_MS * 0.4 },
    { fault: fault.ok() },
  ]);

  const config: AiFailoverConfig = {
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
    policy: { retries: 0, breaker: { volumeThreshold: 5, resetTimeoutMs: 800, rollingWindowMs: 1000 } },
  };
  const { app, ai } = createApp(config);
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const started = Date.now();
  const at = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  const stats = { requests: 0, ok: 0, failed: 0, failovers: 0, cost: 0 };
  const latencies: number[] = [];
  const served: Record<string, number> = {};
  const clear = () => {
    if (tty) process.stdout.write('\r\x1b[2K');
  };
  const say = (line: string) => {
    clear();
    console.log(`${at()}  ${line}`);
  };
  const progress = () =>
    `${at()}  requests ${stats.requests}  ok ${stats.ok}  failed ${stats.failed}  failovers ${stats.failovers}  ` +
    Object.entries(served)
      .map(([d, n]) => `${d}=${n}`)
      .join(' ');

  console.log(
    `ai-failover demo: the Express example on ${base}, two mock providers, primary down from ` +
      `${(DURATION_MS * 0.25) / 1000}s to ${(DURATION_MS * 0.65) / 1000}s`,
  );
  ai.client.on('breakerOpen', (e) => say(`breaker OPEN       ${e.deployment}: calls skip it now`));
  ai.client.on('breakerHalfOpen', (e) => say(`breaker HALF-OPEN  ${e.deployment}: one probe call allowed`));
  ai.client.on('breakerClose', (e) => say(`breaker CLOSED     ${e.deployment}: back in service`));
  ai.client.on('healthChange', (e) =>
    say(`health             ${e.deployment}: ${e.previous} -> ${e.status}`),
  );
  let lastFailoverLog = 0;
  ai.client.on('failover', (e) => {
    if (Date.now() - lastFailoverLog < 500) return; // one line per half second is plenty
    lastFailoverLog = Date.now();
    say(`failover           left ${e.from} (${e.reason}${e.status ? ` ${e.status}` : ''})`);
  });
  const ticker = setInterval(
    () => (tty ? process.stdout.write(`\r\x1b[2K${progress()}`) : say(progress().slice(8))),
    tty ? 100 : 1000,
  );

  const worker = async () => {
    while (Date.now() - started < DURATION_MS) {
      stats.requests++;
      const res = await fetch(`${base}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'Say hello in five words.' }),
      });
      const body = (await res.json()) as Answer;
      if (res.ok) {
        stats.ok++;
        stats.failovers += body.failovers;
        stats.cost += body.costUsd ?? 0;
        latencies.push(body.latencyMs);
        if (body.deployment) served[body.deployment] = (served[body.deployment] ?? 0) + 1;
      } else {
        stats.failed++;
        say(`request failed with ${res.status}: ${JSON.stringify(body)}`);
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  clearInterval(ticker);
  clear();

  const health = (await (
    await fetch(`${base}/health`, {
      headers: { authorization: `Bearer ${process.env.APP_TOKEN ?? 'dev-token'}` },
    })
  ).json()) as {
    status: string;
    deployments: Array<{ id: string; status: string; breaker: string }>;
  };
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0);
  console.log('\nSummary');
  console.log(`  requests   ${stats.requests}`);
  console.log(`  successes  ${stats.ok} (${((stats.ok / Math.max(1, stats.requests)) * 100).toFixed(1)}%)`);
  console.log(`  failed     ${stats.failed}`);
  console.log(`  failovers  ${stats.failovers}`);
  console.log(`  latency    p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
  console.log(`  cost       $${stats.cost.toFixed(6)}`);
  console.log(
    `  served by  ${Object.entries(served)
      .map(([d, n]) => `${d}: ${n}`)
      .join(', ')}`,
  );
  console.log(
    `  /health    ${health.status}; ${health.deployments.map((d) => `${d.id} ${d.status}, breaker ${d.breaker}`).join('; ')}`,
  );

  await ai.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.all([primary.close(), secondary.close()]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
