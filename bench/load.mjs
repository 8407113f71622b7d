// The load generator, in a process of its own so its CPU is not the server's: keeps `connections`
// keep-alive connections to a target busy until `requests` answers are in (or `maxSeconds` passed),
// and reports throughput, latency and time to first body byte. Loopback targets only.
import { Pool } from 'undici';

const pools = new Map();

function poolFor(origin, connections) {
  const host = new URL(origin).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost')
    throw new Error(`load: ${origin} is not a loopback target`);
  const key = `${origin}#${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
    pools.set(key, pool);
  }
  return pool;
}

/** One request through `dispatch`, timing the headers, the first body byte and the end. */
function once(pool, options, expectEnd) {
  return new Promise((resolve) => {
    const started = performance.now();
    let status = 0;
    let firstByte = 0;
    let tail = '';
    pool.dispatch(options, {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(_controller, chunk) {
        if (firstByte === 0) firstByte = performance.now() - started;
        if (expectEnd) tail = (tail + chunk.toString('latin1')).slice(-32);
      },
      onResponseEnd() {
        const ok = status === 200 && (!expectEnd || tail.includes(expectEnd));
        resolve({ ok, status, latency: performance.now() - started, firstByte });
      },
      onResponseError(_controller, error) {
        resolve({ ok: false, status, error: String(error?.message ?? error), latency: 0, firstByte: 0 });
      },
    });
  });
}

function quantile(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function run({ origin, path, headers, body, connections, requests, maxSeconds, expectEnd }) {
  const pool = poolFor(origin, connections);
  const options = { method: 'POST', path, headers, body };
  const latencies = new Float64Array(requests);
  const firstBytes = new Float64Array(requests);
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError;
  const deadline = performance.now() + maxSeconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (;;) {
        const i = next++;
        if (i >= requests || performance.now() > deadline) return;
        const r = await once(pool, options, expectEnd);
        if (!r.ok) {
          errors++;
          firstError ??= r.error ?? `status ${r.status}`;
          continue;
        }
        latencies[done] = r.latency;
        firstBytes[done] = r.firstByte;
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const lat = latencies.subarray(0, done).sort();
  const fb = firstBytes.subarray(0, done).sort();
  return {
    done,
    errors,
    firstError,
    seconds,
    rps: done / seconds,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    ttfb50: quantile(fb, 0.5),
    ttfb99: quantile(fb, 0.99),
  };
}

process.on('message', async (message) => {
  if (message.type === 'run') {
    try {
      process.send({ id: message.id, result: await run(message.spec) });
    } catch (error) {
      process.send({ id: message.id, error: String(error?.stack ?? error) });
    }
  }
});
process.on('disconnect', async () => {
  await Promise.all([...pools.values()].map((p) => p.destroy()));
  process.exit(0);
});
process.send({ ready: true });
