/** Writing responses on a bare `ServerResponse`: JSON (HEAD-aware) and server-sent events. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Headers of a server-sent-events response. */
export const SSE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
});

/** True when nothing can be written any more (finished, or the connection is gone). */
export function isGone(res: ServerResponse): boolean {
  return res.writableEnded || res.destroyed;
}

/**
 * Sends a JSON body with `status`, keeping headers earlier middleware set (CORS...). A HEAD request
 * gets the same headers and no body. Does nothing when the response has already started.
 */
export function sendJson(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<OutgoingHttpHeaders>,
): void {
  sendText(req, res, status, JSON.stringify(body), 'application/json; charset=utf-8', headers);
}

/**
 * Sends a text body with `status` and `contentType`; see {@link sendJson}. One `writeHead` with
 * every header (it merges them with those set before, which stay unless named again).
 */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  headers?: Readonly<OutgoingHttpHeaders>,
): void {
  if (res.headersSent || isGone(res)) return;
  const all: OutgoingHttpHeaders = headers ? { ...headers } : {};
  all['content-type'] = contentType;
  all['content-length'] = Buffer.byteLength(text);
  res.writeHead(status, all);
  if (req.method === 'HEAD') res.end();
  else res.end(text);
}

/** Resolves when `res` can take more data, or when it closed. Leaves no listener behind. */
export function drained(res: ServerResponse): Promise<void> {
  if (isGone(res) || !res.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
