// What every benchmark server shares: the ai-failover config pointing at the mock upstream, the
// bare forwarding with undici that a hand-written route does, and the way a server reports itself
// (its URL on stdout, its CPU time over IPC) and stops (when the parent disconnects).
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';

/** The mock upstream's base URL (`http://127.0.0.1:port/v1`). */
export const upstream = process.argv[3];
/** `bare`, `routes` or `fast`. */
export const mode = process.argv[2];

export const KEY = 'bench-key';

/** An ai-failover config with one deployment on the mock upstream, no retries. */
export const config = {
  providers: [{ id: 'up', baseUrl: upstream, apiKey: KEY, maxConcurrent: 128 }],
  models: { m: { deployments: [{ provider: 'up', model: 'm' }] } },
  policy: { retries: 0 },
};

/** The OpenAI routes under `/v1`, open to every request (the load client sends no credentials). */
export const openai = { path: '/v1', authorize: () => true };

const origin = new URL(upstream).origin;
const chatPath = `${new URL(upstream).pathname.replace(/\/$/, '')}/chat/completions`;
const pool = new Pool(origin, { connections: 128 });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

/**
 * A bare route's work: send the request body upstream as it came, answer with the upstream's
 * status, content type and bytes (piped for a stream).
 */
export async function forward(body, res) {
  const answer = await pool.request({ method: 'POST', path: chatPath, headers, body });
  const type = answer.headers['content-type'] ?? 'application/json';
  res.writeHead(answer.statusCode, { 'content-type': type });
  if (type.startsWith('text/event-stream')) {
    await pipeline(answer.body, res);
  } else {
    res.end(Buffer.from(await answer.body.arrayBuffer()));
  }
}

/** Reads a request body into one Buffer (the bare routes do not parse it). */
export async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Prints the server's URL for the parent; answers `cpu` with this process's CPU time; stops on disconnect. */
export function announce(server, close = async () => {}) {
  process.stdout.write(`http://127.0.0.1:${server.address().port}\n`);
  process.on('message', (message) => {
    if (message === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
  // A profiled run (--cpu-prof) ends on SIGINT so that its profile is written.
  process.on('SIGINT', () => process.exit(0));
  process.on('disconnect', async () => {
    server.closeAllConnections?.();
    await close().catch(() => {});
    process.exit(0);
  });
}
