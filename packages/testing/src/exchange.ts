import type { ServerResponse } from 'node:http';
import { JSON_HEADERS } from './sse';
import type { RecordedRequest } from './types';

/**
 * One request/response pair: writes the response, owns the timers of its delays, and records the
 * outcome. A client that leaves before the response finished marks the record `aborted` and
 * cancels every pending delay.
 */
export class Exchange {
  private readonly timers = new Map<NodeJS.Timeout, (completed: boolean) => void>();
  private readonly waits = new Set<(completed: boolean) => void>();
  private settled = false;
  private closedByServer = false;

  constructor(
    readonly record: RecordedRequest,
    private readonly res: ServerResponse,
    private readonly baseHeaders: Record<string, string>,
    private readonly onSettled: (exchange: Exchange) => void,
  ) {
    res.once('finish', () => {
      record.endedAt ??= Date.now();
    });
    res.once('close', () => this.handleClose());
  }

  /** `false` once the response finished or the connection closed. */
  get active(): boolean {
    return !this.settled;
  }

  /** Waits `ms` (forever when not finite); resolves `false` if the exchange ended meanwhile. */
  sleep(ms: number): Promise<boolean> {
    if (this.settled) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      if (!Number.isFinite(ms)) {
        this.waits.add(resolve);
        return;
      }
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.settled);
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  /** Adds headers sent with whatever answer this exchange gives. */
  addHeaders(headers: Record<string, string>): void {
    Object.assign(this.baseHeaders, headers);
  }

  writeHead(status: number, headers: Record<string, string>): void {
    if (this.settled || this.res.headersSent) return;
    this.record.status = status;
    this.res.writeHead(status, { ...this.baseHeaders, ...headers });
  }

  /** Sends the headers now rather than with the first body chunk. */
  flushHeaders(): void {
    if (!this.settled) this.res.flushHeaders();
  }

  write(chunk: string): boolean {
    if (this.settled) return false;
    this.res.write(chunk);
    return true;
  }

  /** Writes `chunk` and, when the socket's buffer is full, waits until the client has read it; `false` once the exchange ended. */
  async pump(chunk: string): Promise<boolean> {
    if (this.settled) return false;
    if (this.res.write(chunk)) return true;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    return !this.settled;
  }

  end(chunk?: string): void {
    if (this.settled) return;
    if (chunk === undefined) this.res.end();
    else this.res.end(chunk);
  }

  /** Sends a complete response with a `content-length`. */
  send(status: number, headers: Record<string, string>, body: string): void {
    this.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    this.end(body);
  }

  /** Flushes what was written, then closes the connection without finishing the response. */
  closeConnection(): void {
    const socket = this.res.socket;
    if (this.settled || !socket) return;
    this.closedByServer = true;
    socket.end(() => socket.destroy());
  }

  /** Resets the connection (TCP RST). */
  resetConnection(): void {
    const socket = this.res.socket;
    if (this.settled || !socket) return;
    this.closedByServer = true;
    socket.resetAndDestroy();
  }

  /** Answers a 500 with `body`, or closes the connection if the headers are already sent. */
  fail(body: string): void {
    if (this.res.headersSent) this.closeConnection();
    else this.send(500, JSON_HEADERS, body);
  }

  /** Ends the exchange from the server side: cancels its delays and destroys its connection. */
  terminate(): void {
    this.record.endedAt ??= Date.now();
    this.closedByServer = true;
    this.res.socket?.destroy();
    this.settle();
  }

  private handleClose(): void {
    this.record.endedAt ??= Date.now();
    if (!this.res.writableFinished && !this.closedByServer) this.record.aborted = true;
    this.settle();
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve(false);
    }
    this.timers.clear();
    for (const resolve of this.waits) resolve(false);
    this.waits.clear();
    this.onSettled(this);
  }
}
