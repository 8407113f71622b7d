/** Starts the Express example: `PORT` (default 3000), `HOST` (default 127.0.0.1). */
import { serveExample } from '@ai-failover/example-shared';
import { createApp } from './app';

serveExample('express', (loaded) => {
  const { app, ai } = createApp(loaded.config);
  return { listener: app, client: ai.client, close: (options) => ai.close(options) };
}).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
