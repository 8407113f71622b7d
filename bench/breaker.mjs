// The breaker's own cost per attempt: begin() + record() for a success, a counted failure that
// leaves it closed, and an outcome that counts as nothing. Prints ns and heap bytes per attempt.
// Run with `node --expose-gc --max-semi-space-size=64 breaker.mjs` (after `pnpm build`): the large
// young generation lets a batch allocate without a collection in the middle of the measurement.
import { DeploymentBreaker } from '../packages/core/dist/policies/breaker.js';

const OPS = Number(process.env.BENCH_BREAKER_OPS ?? 1_000_000);
const BATCH = 20_000;
const options = {
  errorThresholdPercentage: 50,
  volumeThreshold: 1_000_000_000, // never opens: every attempt takes the same path
  resetTimeoutMs: 30_000,
  rollingWindowMs: 10_000,
  consecutiveFailures: 0,
};
const clock = { now: () => performance.timeOrigin + performance.now() };
const quiet = { onOpen() {}, onHalfOpen() {}, onClose() {} };

function measure(outcome) {
  const breaker = new DeploymentBreaker(options, clock, quiet);
  const cycle = (n) => {
    for (let i = 0; i < n; i++) breaker.record(breaker.begin(), outcome);
  };
  cycle(100_000); // warm up
  const started = process.hrtime.bigint();
  cycle(OPS);
  const ns = Number(process.hrtime.bigint() - started) / OPS;
  let bytes = Number.NaN;
  if (global.gc) {
    const samples = [];
    for (let round = 0; round < 10; round++) {
      global.gc();
      const before = process.memoryUsage().heapUsed;
      cycle(BATCH);
      const grown = process.memoryUsage().heapUsed - before;
      if (grown >= 0) samples.push(grown / BATCH);
    }
    samples.sort((a, b) => a - b);
    bytes = samples[Math.floor(samples.length / 2)];
  }
  breaker.shutdown?.();
  return { ns, bytes };
}

console.log(`\nBreaker cost per attempt (begin + record), ${OPS} attempts each`);
console.log('outcome'.padEnd(34), 'ns/attempt'.padStart(11), 'heap B/attempt'.padStart(15));
for (const [name, outcome] of [
  ['success', 'success'],
  ['counted failure (stays closed)', 'server_error'],
  ["caller's 400 (counts as nothing)", 'client_error'],
]) {
  const { ns, bytes } = measure(outcome);
  console.log(name.padEnd(34), ns.toFixed(0).padStart(11), bytes.toFixed(0).padStart(15));
}
if (!global.gc) console.log('(run with --expose-gc for the heap figure)');
