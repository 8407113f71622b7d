/** Starts the Koa example: `PORT` (default 3000), `HOST` (default 127.0.0.1). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeMode, loadConfig } from '@ai-failover/example-shared';
import { createApp } from './app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const loaded = await loadConfig();
  const closeMocks = () => Promise.all(loaded.mocks.map((mock) => mock.close()));

  let example: ReturnType<typeof createApp>;
  try {
    example = createApp(loaded.config);
  } catch (error) {
    await closeMocks();
    throw error;
  }
  const { app, ai } = example;
  ai.client.on('failover', (event) => {
    console.warn(`failover: left ${event.from} (${event.reason}${event.status ? ` ${event.status}` : ''})`);
  });

  const server = createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://${host}:${(server.address() as AddressInfo).port}`;
  console.log(`ai-failover koa example on ${url} (${describeMode(loaded)})`);
  console.log(
    `  open ${url}/ , or: curl -s ${url}/chat -H 'content-type: application/json' -d '{"message":"hi"}'`,
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: closing`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await ai.close();
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

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
