/** Starting an example from the command line: listen, print where, and shut down cleanly on a signal. */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AiClient } from '@ai-failover/core';
import { describeMode, type LoadedConfig, loadConfig } from './config';

/** What an example hands over: its request listener and how to stop what it started. */
export interface Runnable {
  listener: RequestListener;
  client: AiClient;
  /** Closes the client: readiness 503 at once, calls in flight get `drainMs`, then are aborted. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** How long calls in flight may finish after SIGTERM (`DRAIN_MS`, default 10 000). */
const DRAIN_MS = Number(process.env.DRAIN_MS ?? 10_000);

/**
 * Loads the config (`PORT`, default 3000; `HOST`, default 127.0.0.1), builds the app, listens,
 * logs failovers, and on SIGINT/SIGTERM closes the app, the mock providers and every connection.
 */
export async function serveExample(name: string, build: (loaded: LoadedConfig) => Runnable): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const loaded = await loadConfig();
  const closeMocks = () => Promise.all(loaded.mocks.map((mock) => mock.close()));

  let app: Runnable;
  try {
    app = build(loaded);
  } catch (error) {
    await closeMocks();
    throw error;
  }
  app.client.on('failover', (event) => {
    console.warn(`failover: left ${event.from} (${event.reason}${event.status ? ` ${event.status}` : ''})`);
  });

  const server = createServer(app.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  console.log(`ai-failover ${name} example on ${url} (${describeMode(loaded)})`);
  console.log(
    `  open ${url}/ , or: curl -s ${url}/chat -H 'content-type: application/json' -d '{"message":"hi"}'`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing`);
    // Drain first: /health/ready answers 503 at once, calls in flight finish or are aborted.
    const drained = app.close({ drainMs: DRAIN_MS });
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await drained;
    await closeMocks();
    server.closeAllConnections();
    await closed;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      shutdown(signal).catch((error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      });
    });
  }
}
