/**
 * A small HTTP proxy on 127.0.0.1 for the tests: CONNECT tunnels and absolute-URI forwarding, to
 * loopback targets only. It records every request line and every byte it relays, as a proxy's
 * logs (or anyone on its host) could.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** What the proxy saw of one request. */
export interface ProxiedRequest {
  /** `CONNECT` for a tunnel, else the forwarded method. */
  method: string;
  /** `host:port` for a tunnel, else the absolute URL. */
  target: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly requests: ProxiedRequest[];
  /** Every byte relayed, both ways, tunnels included. */
  seen(): string;
  close(): Promise<void>;
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const requests: ProxiedRequest[] = [];
  const relayed: Buffer[] = [];
  const sockets = new Set<Socket>();
  const record = (chunk: Buffer) => relayed.push(chunk);

  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', target: req.url ?? '', headers: req.headers });
    relayed.push(Buffer.from(`${req.method} ${req.url}\r\n${JSON.stringify(req.headers)}\r\n`));
    const target = new URL(req.url ?? '');
    if (target.hostname !== '127.0.0.1') {
      res.writeHead(403).end();
      return;
    }
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.on('data', record);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.on('data', record);
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    requests.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers });
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) {
        record(head);
        upstream.write(head);
      }
      client.on('data', record);
      upstream.on('data', record);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    seen: () => Buffer.concat(relayed).toString('latin1'),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
