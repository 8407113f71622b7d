import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server started by {@link listen}. */
export interface Listening {
  server: Server;
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  base: string;
  /**
   * Stops the server and destroys every connection it still has — idle keep-alive ones, and open
   * streams or hung requests too — so nothing holds the test back. Resolves once the server has
   * closed (its `'close'` listeners have run). Idempotent: later calls return the same promise.
   */
  close(): Promise<void>;
}

/**
 * Starts a `node:http` server for `handler` (an Express app, `koaApp.callback()`, any request listener)
 * on `127.0.0.1` and an ephemeral port.
 */
export async function listen(handler: RequestListener): Promise<Listening> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    base,
    close: () => {
      closing ??= server.listening
        ? new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          })
        : Promise.resolve();
      return closing;
    },
  };
}
