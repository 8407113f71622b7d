import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { drained } from './respond';

let server: Server | undefined;

afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const EVENT = 'x'.repeat(16 * 1024);

describe('drained', () => {
  test('a wait for drain ends when the client goes away, leaving no listener', async () => {
    let after: { drain: number; close: number } | undefined;
    let before: { drain: number; close: number } | undefined;
    const done = new Promise<void>((resolve) => {
      void listen(async (_req, res) => {
        res.writeHead(200);
        before = { drain: res.listenerCount('drain'), close: res.listenerCount('close') };
        while (res.write(EVENT)) {
          // fill the socket
        }
        await drained(res);
        after = { drain: res.listenerCount('drain'), close: res.listenerCount('close') };
        resolve();
      }).then(async (base) => {
        const controller = new AbortController();
        await fetch(base, { signal: controller.signal });
        controller.abort();
      });
    });
    await done;
    expect(after).toEqual(before);
  });
});
