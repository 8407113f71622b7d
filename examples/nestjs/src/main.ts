/** Starts the NestJS example: `PORT` (default 3000), `HOST` (default 127.0.0.1). */
import type { AddressInfo } from 'node:net';
import { describeMode } from '@ai-failover/example-shared';
import { AiFailoverService } from '@ai-failover/nestjs';
import { createApp } from './app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const { app, loaded } = await createApp();
  // SIGINT/SIGTERM close the app: the HTTP server, then the client and the mock providers.
  app.enableShutdownHooks();
  app.get(AiFailoverService).client.on('failover', (event) => {
    console.warn(`failover: left ${event.from} (${event.reason}${event.status ? ` ${event.status}` : ''})`);
  });

  await app.listen(port, host);
  const address = app.getHttpServer().address() as AddressInfo;
  const url = `http://${host}:${address.port}`;
  console.log(`ai-failover nestjs example on ${url} (${describeMode(loaded)})`);
  console.log(
    `  open ${url}/ , or: curl -s ${url}/chat -H 'content-type: application/json' -d '{"message":"hi"}'`,
  );
}

main().catch((error: unknown) => {
  // Nest has logged the error with its stack already.
  console.error(
    `ai-failover nestjs example failed to start: ${error instanceof Error ? error.message : error}`,
  );
  // The offline mock providers may already be listening: do not wait for them.
  process.exit(1);
});
