// Benchmarks: what ai-failover costs next to what it replaces, every figure as a ratio against a
// baseline measured in the same run, with baseline and subject in alternating rounds so that drift
// on a shared machine hits both alike. Everything runs on 127.0.0.1: the mock upstream, every
// server and the load generator are processes of their own.
//
//   pnpm bench                 the full run (1M calls for the heap figure)
//   BENCH_QUICK=1 pnpm bench   small counts, a smoke check of every row
//   BENCH_ONLY=inprocess,routes,heap   some sections only
//   BENCH_TARGETS=proxy,node,express-fast   some servers only (ids in the targets list below)
//   BENCH_MARKDOWN=file.md   also writes the summary as a Markdown table (for the README)
//
// 1. In-process: a direct undici call vs `ai.chat()`, a direct streamed call vs `chatStream()`, the
//    failover path with the primary's breaker open vs the healthy path.
// 2. Routes, under load from a separate process: a bare `node:http` proxy vs the `/v1` routes on
//    `node:http` and on each framework's fast path; each framework's own bare route forwarding with
//    undici vs the routes behind its router; the Portkey gateway on the same load.
// 3. Heap retained per call over many calls.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { AiClient } from '@ai-failover/core';
import { Pool } from 'undici';

const QUICK = process.env.BENCH_QUICK === '1';
/**
 * Rounds of the in-process and route runs. Many short rounds, each a baseline and its subjects
 * side by side, give ratios that hold on a busy machine: the median of the per-round ratios.
 */
const LOCAL_ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 3 : 25));
const ROUTE_ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 7));
/** In-process calls per scenario and round, and calls in flight. */
const CALLS = Number(process.env.BENCH_CALLS ?? (QUICK ? 300 : 600));
const IN_FLIGHT = 16;
/** Requests per target, mode and round over HTTP, and the load's connections. */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? (QUICK ? 300 : 1500));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Calls of the heap figure. */
const HEAP_CALLS = Number(process.env.BENCH_HEAP_CALLS ?? (QUICK ? 20_000 : 1_000_000));
/** A run against one target stops after this long, whatever its count. */
const MAX_RUN_SECONDS = 60;

const ONLY = new Set((process.env.BENCH_ONLY ?? 'inprocess,routes,heap').split(','));

const here = (path) => new URL(path, import.meta.url);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];
/** The middle half of the per-round ratios (all of them when there are fewer than four). */
const spread = (values) =>
  values.length < 4
    ? `${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)}`
    : `${quantile(values, 0.25).toFixed(2)}-${quantile(values, 0.75).toFixed(2)}`;

// ---------------------------------------------------------------------------------------------
// Processes

/** Starts a helper process and reads the URL it prints; `undefined` (with the reason) if it fails. */
async function start(script, args) {
  const child = fork(here(script), args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const line = await Promise.race([
    once(child.stdout, 'data').then(([d]) => String(d).trim()),
    once(child, 'exit').then(() => undefined),
    new Promise((r) => setTimeout(r, 30_000)),
  ]);
  if (!line?.startsWith('http://127.0.0.1:')) {
    child.kill();
    return { reason: (stderr.trim().split('\n')[0] || 'did not start within 30 s').slice(0, 300) };
  }
  return { child, url: line, stderr: () => stderr };
}

/** Asks a helper process for its CPU time (user + system, microseconds). */
async function cpuOf(child) {
  child.send('cpu');
  for (;;) {
    const [message] = await once(child, 'message');
    if (message?.cpu) return message.cpu.user + message.cpu.system;
  }
}

async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

const machine = {
  cpus: os.availableParallelism?.() ?? os.cpus().length,
  model: os.cpus()[0]?.model ?? 'unknown',
  node: process.version,
  loadBefore: os.loadavg()[0],
};

const upstream = await start('./upstream.mjs', []);
if (!upstream.child) throw new Error(`the mock upstream did not start: ${upstream.reason}`);
const upstreamUrl = upstream.url;
const origin = new URL(upstreamUrl).origin;

console.log(
  `ai-failover benchmarks${QUICK ? ' (BENCH_QUICK: small counts, a smoke check)' : ''}\n` +
    `machine: ${machine.cpus} CPUs (${machine.model}), Node ${machine.node}, load average ${machine.loadBefore.toFixed(2)} at start\n` +
    'everything on 127.0.0.1; upstream: the mock provider in its own process, no added latency',
);

// ---------------------------------------------------------------------------------------------
// 1. In-process

const prompt = 'hello there, how are you today?';
const direct = new Pool(origin, { connections: IN_FLIGHT });
const client = new AiClient({
  providers: [
    // Nothing listens on port 9: the primary of `failover` refuses every connection.
    { id: 'down', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'bench-key-down' },
    { id: 'up', baseUrl: upstreamUrl, apiKey: 'bench-key-up', maxConcurrent: IN_FLIGHT * 2 },
  ],
  models: {
    healthy: { deployments: [{ provider: 'up', model: 'm', price: { input: 1, output: 2 } }] },
    failover: {
      deployments: [
        { provider: 'down', model: 'm' },
        { provider: 'up', model: 'm', price: { input: 1, output: 2 } },
      ],
    },
  },
  // One failure opens a breaker, for an hour: the primary of `failover` stays open for the run.
  policy: { retries: 0, breaker: { consecutiveFailures: 1, resetTimeoutMs: 3_600_000 } },
});

const headers = { 'content-type': 'application/json', authorization: 'Bearer bench-key-up' };
const jsonBody = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: prompt }] });
const streamBody = JSON.stringify({
  model: 'm',
  stream: true,
  messages: [{ role: 'user', content: prompt }],
});
const chatPath = `${new URL(upstreamUrl).pathname}/chat/completions`;

/** What a hand-written call does: serialize, send, read, parse. */
async function directCall() {
  const res = await direct.request({ method: 'POST', path: chatPath, headers, body: jsonBody });
  return JSON.parse(await res.body.text());
}

/** A hand-written streamed call: read the events and parse each chunk. */
async function directStream() {
  const res = await direct.request({ method: 'POST', path: chatPath, headers, body: streamBody });
  const decoder = new TextDecoder();
  let buffer = '';
  let chunks = 0;
  for await (const part of res.body) {
    buffer += decoder.decode(part, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (event.startsWith('data: ') && event !== 'data: [DONE]') {
        JSON.parse(event.slice(6));
        chunks++;
      }
    }
  }
  return chunks;
}

const messages = [{ role: 'user', content: prompt }];
const chat = (model) => () => client.chat({ messages }, { model });
async function chatStream() {
  const stream = await client.chatStream({ messages }, { model: 'healthy' });
  let chunks = 0;
  for await (const _ of stream) chunks++;
  return chunks;
}

// Open the primary's breaker, and check that it is open.
await client.chat({ messages }, { model: 'failover' });
const primary = client.health().deployments.find((d) => d.id.startsWith('down'));
if (primary?.breaker !== 'open')
  throw new Error(`the primary's breaker should be open, is ${primary?.breaker}`);

const scenarios = {
  'direct undici call': directCall,
  'ai.chat()': chat('healthy'),
  'direct streamed call': directStream,
  'ai.chatStream()': chatStream,
  'ai.chat(), primary breaker open': chat('failover'),
};

/** Runs `n` calls with IN_FLIGHT in flight; returns calls per second and CPU microseconds per call. */
async function inProcess(fn, n) {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) await fn();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rps: n / seconds, cpu: (used.user + used.system) / n };
}

const summary = [];
const skipped = [];
if (ONLY.has('inprocess')) {
  for (const fn of Object.values(scenarios)) await inProcess(fn, Math.min(CALLS, 1000));
  const local = Object.fromEntries(Object.keys(scenarios).map((k) => [k, []]));
  for (let round = 0; round < LOCAL_ROUNDS; round++) {
    for (const [name, fn] of Object.entries(scenarios)) local[name].push(await inProcess(fn, CALLS));
  }

  console.log(
    `\n1. In-process: ${LOCAL_ROUNDS} rounds x ${CALLS} calls per scenario, ${IN_FLIGHT} in flight; CPU is this process's`,
  );
  console.log(
    `${'scenario'.padEnd(34)}${'calls/s'.padStart(9)}${'CPU us/call'.padStart(13)}${'range calls/s'.padStart(16)}`,
  );
  for (const [name, runs] of Object.entries(local)) {
    const rps = runs.map((r) => r.rps);
    console.log(
      `${name.padEnd(34)}${median(rps).toFixed(0).padStart(9)}${median(runs.map((r) => r.cpu))
        .toFixed(1)
        .padStart(13)}${`${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)}`.padStart(16)}`,
    );
  }

  /** A row of the summary: the subject's figure against its baseline's, round by round. */
  function compareLocal(subject, baseline, target) {
    const ratios = local[subject].map((r, i) => r.rps / local[baseline][i].rps);
    const added = local[subject].map((r, i) => r.cpu - local[baseline][i].cpu);
    const ratio = median(ratios);
    const cpu = (name) => median(local[name].map((r) => r.cpu));
    summary.push({
      row: `${subject} vs ${baseline}`,
      figure: `${median(local[subject].map((r) => r.rps)).toFixed(0)} vs ${median(local[baseline].map((r) => r.rps)).toFixed(0)} calls/s; CPU ${cpu(subject).toFixed(1)} vs ${cpu(baseline).toFixed(1)} us/call (+${median(added).toFixed(1)})`,
      ratio: `${ratio.toFixed(2)}x (${spread(ratios)})`,
      byCpu: `${(cpu(baseline) / cpu(subject)).toFixed(2)}x`,
      target: target.text,
      met: target.met(ratio, median(added)),
    });
  }
  compareLocal('ai.chat()', 'direct undici call', {
    text: '>= 0.90x, <= 10 us added',
    met: (r, a) => r >= 0.9 && a <= 10,
  });
  compareLocal('ai.chatStream()', 'direct streamed call', {
    text: '>= 0.90x, <= 10 us added',
    met: (r, a) => r >= 0.9 && a <= 10,
  });
  compareLocal('ai.chat(), primary breaker open', 'ai.chat()', {
    text: '>= 0.95x (within 5%)',
    met: (r) => r >= 0.95,
  });
}

// ---------------------------------------------------------------------------------------------
// 2. Routes under load

let load;
const live = [];
if (ONLY.has('routes')) {
  const portkeyPort = await freePort();
  const targets = [
    { id: 'proxy', name: 'bare node:http proxy', script: './servers/node.mjs', args: ['bare'] },
    { id: 'node', name: 'routes on node:http', script: './servers/node.mjs', args: ['routes'] },
    { id: 'express-bare', name: 'Express bare route', script: './servers/express.mjs', args: ['bare'] },
    { id: 'express', name: 'Express + routes', script: './servers/express.mjs', args: ['routes'] },
    {
      id: 'express-fast',
      name: 'Express + routes, fastPath',
      script: './servers/express.mjs',
      args: ['fast'],
    },
    { id: 'koa-bare', name: 'Koa bare route', script: './servers/koa.mjs', args: ['bare'] },
    { id: 'koa', name: 'Koa + routes', script: './servers/koa.mjs', args: ['routes'] },
    { id: 'koa-fast', name: 'Koa + routes, fastPath', script: './servers/koa.mjs', args: ['fast'] },
    { id: 'nest-bare', name: 'Nest bare route', script: './servers/nest.mjs', args: ['bare'] },
    { id: 'nest', name: 'Nest + routes', script: './servers/nest.mjs', args: ['routes'] },
    { id: 'nest-fast', name: 'Nest + routes, fastPath', script: './servers/nest.mjs', args: ['fast'] },
    {
      id: 'portkey',
      name: 'Portkey gateway 1.15.2',
      script: './servers/portkey.mjs',
      args: [String(portkeyPort)],
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': upstreamUrl },
    },
  ];

  load = fork(here('./load.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await once(load, 'message');
  let loadId = 0;
  async function runLoad(spec) {
    const id = ++loadId;
    load.send({ type: 'run', id, spec });
    for (;;) {
      const [message] = await once(load, 'message');
      if (message.id !== id) continue;
      if (message.error) throw new Error(message.error);
      return message.result;
    }
  }

  /** JSON and streams under load; then streams one at a time, for the time to first byte alone. */
  const TTFB_REQUESTS = QUICK ? 50 : 400;
  const modes = {
    json: { body: jsonBody, expectEnd: undefined, connections: CONNECTIONS, requests: REQUESTS },
    stream: { body: streamBody, expectEnd: 'data: [DONE]', connections: CONNECTIONS, requests: REQUESTS },
    ttfb: { body: streamBody, expectEnd: 'data: [DONE]', connections: 1, requests: TTFB_REQUESTS },
  };
  /** Only the proxy and the fast paths are measured one at a time. */
  const TTFB_TARGETS = new Set(['proxy', 'node', 'express-fast', 'koa-fast', 'nest-fast']);
  const only = process.env.BENCH_TARGETS?.split(',');
  for (const target of targets) {
    if (only && !only.includes(target.id)) continue;
    const args = target.id === 'portkey' ? target.args : [...target.args, upstreamUrl];
    const started = await start(target.script, args);
    if (!started.child) {
      skipped.push(`${target.name}: not started (${started.reason})`);
      continue;
    }
    Object.assign(target, started);
    target.modes = [];
    // A mode stays in only if it answers correctly.
    for (const [mode, { body, expectEnd }] of Object.entries(modes)) {
      if (mode === 'ttfb') {
        if (target.modes.includes('stream') && TTFB_TARGETS.has(target.id)) target.modes.push(mode);
        continue;
      }
      const r = await runLoad({
        origin: target.url,
        path: '/v1/chat/completions',
        headers: { ...headers, ...target.headers },
        body,
        connections: CONNECTIONS,
        requests: Math.min(REQUESTS, 500),
        maxSeconds: 20,
        expectEnd,
      });
      if (r.errors > 0) {
        const detail = (started.stderr().match(/(TypeError|Error)[^\n]*/) ?? [''])[0];
        skipped.push(
          `${target.name}, ${mode}: ${r.errors} of ${r.errors + r.done} requests failed (${r.firstError})${detail ? `; the server logged "${detail.slice(0, 160)}"` : ''}`,
        );
      } else {
        target.modes.push(mode);
      }
    }
    live.push(target);
  }

  const http = Object.fromEntries(live.flatMap((t) => t.modes.map((m) => [`${t.id}/${m}`, []])));
  for (let round = 0; round < ROUTE_ROUNDS; round++) {
    // Rotate the order each round, so that no target always runs first or last.
    const order = live.map((_, i) => live[(i + round) % live.length]);
    for (const mode of Object.keys(modes)) {
      for (const target of order) {
        if (!target.modes.includes(mode)) continue;
        const before = await cpuOf(target.child);
        const r = await runLoad({
          origin: target.url,
          path: '/v1/chat/completions',
          headers: { ...headers, ...target.headers },
          body: modes[mode].body,
          connections: modes[mode].connections,
          requests: modes[mode].requests,
          maxSeconds: MAX_RUN_SECONDS,
          expectEnd: modes[mode].expectEnd,
        });
        const cpu = (await cpuOf(target.child)) - before;
        if (r.errors > 0)
          skipped.push(`${target.name}, ${mode}, round ${round + 1}: ${r.errors} errors (${r.firstError})`);
        http[`${target.id}/${mode}`].push({ ...r, cpu: cpu / Math.max(1, r.done) });
      }
    }
  }

  console.log(
    `\n2. Routes: POST /v1/chat/completions, ${ROUTE_ROUNDS} rounds x ${REQUESTS} requests per target and mode over ${CONNECTIONS} connections from a load process (ttfb: ${TTFB_REQUESTS} streams one at a time); server CPU is the server process's`,
  );
  console.log(
    `${'server'.padEnd(30)}${'mode'.padEnd(7)}${'req/s'.padStart(7)}${'range'.padStart(13)}${'p50 ms'.padStart(8)}${'p99 ms'.padStart(8)}${'TTFB p50'.padStart(10)}${'CPU us/req'.padStart(12)}`,
  );
  for (const mode of Object.keys(modes)) {
    for (const target of live) {
      const runs = http[`${target.id}/${mode}`];
      if (!runs) continue;
      const rps = runs.map((r) => r.rps);
      console.log(
        `${target.name.padEnd(30)}${mode.padEnd(7)}${median(rps).toFixed(0).padStart(7)}${`${Math.min(...rps).toFixed(0)}-${Math.max(...rps).toFixed(0)}`.padStart(13)}${median(
          runs.map((r) => r.p50),
        )
          .toFixed(2)
          .padStart(8)}${median(runs.map((r) => r.p99))
          .toFixed(2)
          .padStart(
            8,
          )}${(mode === 'json' ? '' : median(runs.map((r) => r.ttfb50)).toFixed(2)).padStart(10)}${median(
          runs.map((r) => r.cpu),
        )
          .toFixed(0)
          .padStart(12)}`,
      );
    }
  }

  const nameOf = (id) => targets.find((t) => t.id === id)?.name ?? id;
  /** A row of the summary over HTTP: throughput ratio round by round, and server CPU per request. */
  function compareHttp(subject, baseline, mode, min) {
    const s = http[`${subject}/${mode}`];
    const b = http[`${baseline}/${mode}`];
    if (!s || !b) {
      summary.push({
        row: `${nameOf(subject)} vs ${nameOf(baseline)}, ${mode}`,
        figure: 'not measured (see below)',
        ratio: '-',
        target: min ? `>= ${min.toFixed(2)}x` : '-',
        met: undefined,
      });
      return;
    }
    const ratios = s.map((r, i) => r.rps / b[i].rps);
    const ratio = median(ratios);
    summary.push({
      row: `${nameOf(subject)} vs ${nameOf(baseline)}, ${mode}`,
      figure: `${median(s.map((r) => r.rps)).toFixed(0)} vs ${median(b.map((r) => r.rps)).toFixed(0)} req/s; CPU ${median(s.map((r) => r.cpu)).toFixed(0)} vs ${median(b.map((r) => r.cpu)).toFixed(0)} us/req`,
      ratio: `${ratio.toFixed(2)}x (${spread(ratios)})`,
      byCpu: `${(median(b.map((r) => r.cpu)) / median(s.map((r) => r.cpu))).toFixed(2)}x`,
      target: min ? `>= ${min.toFixed(2)}x` : '(comparison)',
      met: min ? ratio >= min : undefined,
    });
  }
  function compareTtfb(subject, baseline) {
    const s = http[`${subject}/ttfb`];
    const b = http[`${baseline}/ttfb`];
    if (!s || !b) return;
    const deltas = s.map((r, i) => r.ttfb50 - b[i].ttfb50);
    const delta = median(deltas);
    summary.push({
      row: `${nameOf(subject)} vs ${nameOf(baseline)}, stream TTFB p50 (one at a time)`,
      figure: `${median(s.map((r) => r.ttfb50)).toFixed(2)} vs ${median(b.map((r) => r.ttfb50)).toFixed(2)} ms`,
      ratio: `${delta >= 0 ? '+' : ''}${delta.toFixed(2)} ms (${Math.min(...deltas).toFixed(2)} to ${Math.max(...deltas).toFixed(2)})`,
      target: '<= +1 ms',
      met: delta <= 1,
    });
  }
  for (const mode of ['json', 'stream']) {
    for (const fast of ['node', 'express-fast', 'koa-fast', 'nest-fast'])
      compareHttp(fast, 'proxy', mode, 0.6);
  }
  compareTtfb('node', 'proxy');
  for (const fast of ['express-fast', 'koa-fast', 'nest-fast']) compareTtfb(fast, 'proxy');
  for (const mode of ['json', 'stream']) {
    for (const fw of ['express', 'koa', 'nest']) compareHttp(fw, `${fw}-bare`, mode, 0.8);
  }
  for (const mode of ['json', 'stream']) {
    compareHttp('node', 'portkey', mode);
    compareHttp('express', 'portkey', mode);
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Heap

async function calls(n) {
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < n) await client.chat({ messages }, { model: 'healthy' });
    }),
  );
}
async function heap() {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().heapUsed;
}
if (ONLY.has('heap') && global.gc) {
  await calls(Math.min(HEAP_CALLS, 10_000));
  const samples = [await heap()];
  for (let i = 0; i < 4; i++) {
    await calls(HEAP_CALLS / 4);
    samples.push(await heap());
  }
  const perCall = (samples[4] - samples[0]) / HEAP_CALLS;
  console.log(
    `\n3. Heap after each quarter of ${HEAP_CALLS.toLocaleString('en')} calls of ai.chat(): ${samples.map((s) => `${(s / 1048576).toFixed(2)}`).join(', ')} MiB`,
  );
  summary.push({
    row: `heap retained per call over ${HEAP_CALLS.toLocaleString('en')} calls`,
    figure: `${(samples[0] / 1048576).toFixed(2)} -> ${(samples[4] / 1048576).toFixed(2)} MiB`,
    ratio: `${perCall.toFixed(3)} bytes/call`,
    target: 'flat (< 1 byte/call)',
    met: perCall < 1,
  });
} else if (ONLY.has('heap')) {
  console.log('\n3. Heap: run with --expose-gc for this figure');
}

// ---------------------------------------------------------------------------------------------
// Summary

machine.loadAfter = os.loadavg()[0];
console.log(
  `\nSummary: each ratio is the median of the per-round ratios (in brackets the middle half of them); "by CPU" is the baseline's CPU per call over the subject's, the ratio a CPU-bound run would show.\nLoad average ${machine.loadBefore.toFixed(2)} at start, ${machine.loadAfter.toFixed(2)} at end (other work on the machine makes throughput noisy; CPU per call much less so).`,
);
const w = [
  Math.max(...summary.map((s) => s.row.length)),
  Math.max(...summary.map((s) => s.figure.length)),
  26,
  8,
  26,
];
console.log(
  `${'row'.padEnd(w[0])}  ${'figures'.padEnd(w[1])}  ${'ratio'.padEnd(w[2])}  ${'by CPU'.padEnd(w[3])}  ${'target'.padEnd(w[4])}  met`,
);
for (const s of summary) {
  const met = s.met === undefined ? '' : s.met ? 'yes' : 'NO';
  console.log(
    `${s.row.padEnd(w[0])}  ${s.figure.padEnd(w[1])}  ${s.ratio.padEnd(w[2])}  ${(s.byCpu ?? '').padEnd(w[3])}  ${s.target.padEnd(w[4])}  ${met}`,
  );
}
if (skipped.length > 0) {
  console.log('\nLeft out:');
  for (const s of skipped) console.log(`- ${s}`);
}

if (process.env.BENCH_MARKDOWN) {
  const cell = (text) => String(text).replaceAll('|', '\\|');
  const lines = [
    `Machine: ${machine.cpus} CPUs (${machine.model}), Node ${machine.node}; load average ${machine.loadBefore.toFixed(2)} at start, ${machine.loadAfter.toFixed(2)} at end. ${QUICK ? 'BENCH_QUICK run.' : `In-process: ${LOCAL_ROUNDS} rounds of ${CALLS} calls; routes: ${ROUTE_ROUNDS} rounds of ${REQUESTS} requests over ${CONNECTIONS} connections.`}`,
    '',
    '| row | figures | ratio (middle half) | by CPU | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
    ...summary.map(
      (s) =>
        `| ${cell(s.row)} | ${cell(s.figure)} | ${cell(s.ratio)} | ${s.byCpu ?? ''} | ${cell(s.target)} | ${s.met === undefined ? '' : s.met ? 'yes' : '**no**'} |`,
    ),
    ...(skipped.length > 0 ? ['', ...skipped.map((s) => `Left out: ${s}`)] : []),
  ];
  writeFileSync(process.env.BENCH_MARKDOWN, `${lines.join('\n')}\n`);
}

await client.close();
await direct.close();
load?.disconnect();
for (const target of live) target.child.disconnect();
upstream.child.disconnect();
