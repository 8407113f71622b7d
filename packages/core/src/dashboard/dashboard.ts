/**
 * The live dashboard: an HTML page, a JSON snapshot and a server-sent-events stream, served on
 * Node's `IncomingMessage`/`ServerResponse` so every framework adapter can mount it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AiClient } from '../client';
import { ConfigError } from '../errors';
import type { Disposer } from '../events';
import { formatSseEvent } from '../http/chat-sse';
import { isGone, SSE_HEADERS, sendJson, sendText } from '../http/respond';
import {
  Activity,
  type DashboardBreakerChange,
  type DashboardChange,
  type DashboardFailover,
  type DashboardHealthChange,
  type DashboardSnapshot,
  type DashboardState,
} from './activity';
import { type DashboardOptions, type ResolvedDashboardOptions, resolveDashboardOptions } from './options';
import { type DashboardPage, renderDashboardPage } from './page';

/** A dashboard built by {@link createDashboard}. */
export interface Dashboard {
  /** The page's path, relative to where the app mounts the handler (e.g. `/ai-failover`). */
  readonly path: string;
  /**
   * Handles `GET {path}` (the HTML page), `GET {path}/events` (server-sent events) and
   * `GET {path}/snapshot.json` (HEAD too; other methods get 405). Resolves `false`, without touching
   * `res`, when the URL is not the dashboard's, so the caller passes the request on; `true` when the
   * response was handled (for the event stream: headers sent, the stream stays open until the page
   * leaves or `close()`). `pathname` is the request path relative to where the app mounted the
   * handler, without the query string.
   */
  handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean>;
  /** Ends every open event stream, clears the timer and disposes the client listeners. Idempotent. */
  close(): void;
}

/** Server-sent event names the page listens to. */
export type DashboardEventName = 'snapshot' | 'history' | 'failover' | 'breaker' | 'health';

type Route = 'page' | 'events' | 'snapshot';

/** Longest silence on an event stream before a comment line keeps proxies from closing it. */
const HEARTBEAT_MS = 15_000;
/** An event stream whose unsent output grows past this is cut; the page reconnects. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a page waits before reconnecting after the stream drops. */
const RETRY_MS = 2000;
const TEXT_HEADERS = Object.freeze({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
const STREAM_HEADERS = Object.freeze({ ...SSE_HEADERS, 'x-content-type-options': 'nosniff' });
const ALLOW = 'GET, HEAD';

/**
 * Builds a dashboard over `client`. Validates the options now (a `ConfigError` names each bad one)
 * and subscribes to the client's events, so failovers are recorded before any page is open.
 * Without `authorize`, anyone who can reach the path sees the dashboard: mount it behind your own
 * auth or give `authorize`.
 */
export function createDashboard(client: AiClient, options: DashboardOptions = {}): Dashboard {
  if (!looksLikeClient(client)) {
    throw new ConfigError([
      {
        path: 'dashboard',
        message: 'createDashboard(client, options) needs an AiClient as its first argument',
      },
    ]);
  }
  return new LiveDashboard(client, resolveDashboardOptions(options));
}

function looksLikeClient(value: unknown): value is AiClient {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.health === 'function' &&
    typeof candidate.usage === 'function' &&
    typeof candidate.on === 'function'
  );
}

/** One open event stream. */
class Stream {
  readonly res: ServerResponse;
  #lastWriteAt = Date.now();

  constructor(res: ServerResponse) {
    this.res = res;
  }

  get idleMs(): number {
    return Date.now() - this.#lastWriteAt;
  }

  /**
   * Writes one frame. A snapshot (`droppable`) is skipped while the socket is backed up, since the
   * next one replaces it; a stream that stays backed up past the limit is cut.
   */
  write(frame: string, droppable: boolean): void {
    const res = this.res;
    if (isGone(res)) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy();
      return;
    }
    if (droppable && res.writableNeedDrain) return;
    res.write(frame);
    // Compression middleware buffers until told to flush.
    const flush = (res as { flush?: unknown }).flush;
    if (typeof flush === 'function') flush.call(res);
    this.#lastWriteAt = Date.now();
  }

  end(): void {
    if (!isGone(this.res)) this.res.end();
  }
}

function frame(event: DashboardEventName, data: unknown): string {
  return formatSseEvent({ event, data: JSON.stringify(data) });
}

class LiveDashboard implements Dashboard {
  readonly path: string;
  readonly #client: AiClient;
  readonly #options: ResolvedDashboardOptions;
  readonly #page: DashboardPage;
  readonly #routes: ReadonlyMap<string, Route>;
  readonly #activity = new Activity();
  readonly #streams = new Set<Stream>();
  readonly #disposers: Disposer[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastSnapshotAt = 0;
  #closed = false;

  constructor(client: AiClient, options: ResolvedDashboardOptions) {
    this.#client = client;
    this.#options = options;
    this.path = options.path;
    this.#page = renderDashboardPage(options.title);
    const base = options.path === '/' ? '' : options.path;
    this.#routes = new Map<string, Route>([
      [options.path, 'page'],
      [`${base}/`, 'page'],
      [`${base}/events`, 'events'],
      [`${base}/snapshot.json`, 'snapshot'],
    ]);
    this.#subscribe();
  }

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const query = pathname.indexOf('?');
    const route = this.#routes.get(query === -1 ? pathname : pathname.slice(0, query));
    if (route === undefined) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(req, res, 405, 'Method Not Allowed\n', 'text/plain; charset=utf-8', {
        ...TEXT_HEADERS,
        allow: ALLOW,
      });
      return true;
    }
    if (!(await this.#authorized(req))) {
      sendText(req, res, 401, 'Unauthorized\n', 'text/plain; charset=utf-8', TEXT_HEADERS);
      return true;
    }
    if (this.#closed) {
      sendText(req, res, 503, 'Dashboard closed\n', 'text/plain; charset=utf-8', TEXT_HEADERS);
      return true;
    }
    if (isGone(res)) return true;
    switch (route) {
      case 'page':
        sendText(req, res, 200, this.#page.html, 'text/html; charset=utf-8', this.#page.headers);
        break;
      case 'snapshot':
        sendJson(req, res, 200, this.#state(), TEXT_HEADERS);
        break;
      case 'events':
        this.#open(req, res);
        break;
      default: {
        const unreachable: never = route;
        throw new Error(`unknown dashboard route ${String(unreachable)}`);
      }
    }
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const dispose of this.#disposers.splice(0)) dispose();
    for (const stream of [...this.#streams]) stream.end();
    this.#streams.clear();
    this.#stopTimer();
  }

  async #authorized(req: IncomingMessage): Promise<boolean> {
    const authorize = this.#options.authorize;
    if (!authorize) return true;
    try {
      return (await authorize(req)) === true;
    } catch {
      return false;
    }
  }

  #subscribe(): void {
    const client = this.#client;
    const activity = this.#activity;
    const now = () => new Date().toISOString();
    this.#disposers.push(
      client.on('success', () => activity.success()),
      client.on('requestError', () => activity.error()),
      client.on('shadowComparison', (c) => activity.shadow(c)),
      client.on('failover', (e) => {
        const entry: DashboardFailover = {
          at: now(),
          requestId: e.requestId,
          model: e.model,
          from: e.from,
          reason: e.reason,
          status: e.status ?? null,
        };
        activity.failover(entry);
        this.#broadcast(frame('failover', entry), false);
      }),
      client.on('breakerOpen', (e) => this.#breaker(e.deployment, e.state)),
      client.on('breakerHalfOpen', (e) => this.#breaker(e.deployment, e.state)),
      client.on('breakerClose', (e) => this.#breaker(e.deployment, e.state)),
      client.on('healthChange', (e) => {
        const entry: DashboardHealthChange = {
          kind: 'health',
          at: now(),
          deployment: e.deployment,
          status: e.status,
          previous: e.previous,
        };
        this.#change(entry, 'health');
      }),
    );
  }

  #breaker(deployment: string, state: DashboardBreakerChange['state']): void {
    this.#change({ kind: 'breaker', at: new Date().toISOString(), deployment, state }, 'breaker');
  }

  #change(entry: DashboardChange, event: 'breaker' | 'health'): void {
    this.#activity.change(entry);
    this.#broadcast(frame(event, entry), false);
  }

  #snapshot(): DashboardSnapshot {
    const now = Date.now();
    return {
      at: new Date(now).toISOString(),
      intervalMs: this.#options.intervalMs,
      health: this.#client.health(),
      usage: this.#client.usage(),
      counters: this.#activity.counters(now),
      shadows: this.#activity.shadows(),
    };
  }

  #state(): DashboardState {
    return {
      ...this.#snapshot(),
      failovers: this.#activity.failovers(),
      changes: this.#activity.changes(),
    };
  }

  #open(req: IncomingMessage, res: ServerResponse): void {
    const first = frame('snapshot', this.#snapshot());
    res.statusCode = 200;
    for (const [name, value] of Object.entries(STREAM_HEADERS)) res.setHeader(name, value);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = new Stream(res);
    this.#streams.add(stream);
    res.on('close', () => {
      this.#streams.delete(stream);
      if (this.#streams.size === 0) this.#stopTimer();
    });
    stream.write(`retry: ${RETRY_MS}\n\n`, false);
    stream.write(first, false);
    stream.write(
      frame('history', { failovers: this.#activity.failovers(), changes: this.#activity.changes() }),
      false,
    );
    this.#startTimer();
  }

  #broadcast(text: string, droppable: boolean): void {
    for (const stream of this.#streams) stream.write(text, droppable);
  }

  #startTimer(): void {
    if (this.#timer || this.#streams.size === 0) return;
    const period = Math.min(this.#options.intervalMs, HEARTBEAT_MS);
    this.#lastSnapshotAt = Date.now();
    this.#timer = setInterval(() => this.#tick(), period);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    const now = Date.now();
    const period = Math.min(this.#options.intervalMs, HEARTBEAT_MS);
    if (now - this.#lastSnapshotAt >= this.#options.intervalMs - period / 2) {
      this.#lastSnapshotAt = now;
      let text: string | undefined;
      try {
        text = frame('snapshot', this.#snapshot());
      } catch {
        // A report that cannot be built now is skipped; the next tick tries again.
      }
      if (text !== undefined) this.#broadcast(text, true);
    }
    for (const stream of this.#streams) {
      if (stream.idleMs >= HEARTBEAT_MS - period / 2) stream.write(': keep-alive\n\n', false);
    }
  }
}
