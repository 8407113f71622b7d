import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Exchange } from './exchange';
import { runFault } from './fault-runner';
import { FaultSelector } from './fault-selector';
import type { Fault } from './fault-types';
import { applyBody, readBody, recordRequest } from './incoming';
import type { Latency } from './latency';
import { openAiError } from './openai-errors';
import type { ReplySettings } from './reply';
import type {
  FaultHandler,
  MockProviderOptions,
  RateLimitOptions,
  RecordedRequest,
  SchedulePhase,
} from './types';
import { Waiters } from './waiters';

const DEFAULT_WAIT_MS = 5000;

/**
 * A fake LLM API on a real HTTP server, with faults scripted per request or on a schedule. It
 * speaks OpenAI's chat completions (`baseUrl`), Anthropic's Messages API (`anthropicBaseUrl`) and
 * Gemini's generateContent (`geminiBaseUrl`), with the same faults and deterministic answers.
 *
 * ```ts
 * const mock = await MockProvider.start({ name: 'primary' });
 * mock.script(fault.status(503), fault.ok());
 * // point the client at mock.baseUrl ...
 * await mock.close();
 * ```
 */
export class MockProvider {
  /** Name given in the options (default `'mock'`). */
  readonly name: string;
  private readonly server: Server;
  private readonly protocol: 'http' | 'https';
  private readonly sockets = new Set<Socket>();
  private readonly exchanges = new Set<Exchange>();
  private readonly waiters = new Waiters();
  private readonly selector: FaultSelector;
  private readonly settings: ReplySettings;
  private readonly chunkDelayMs: number;
  private readonly latencyMs: Latency | undefined;
  private records: RecordedRequest[] = [];
  private readonly maxRecords: number;
  private aborts: RecordedRequest[] = [];
  private abortsTaken = 0;
  private nextId = 1;
  private address: AddressInfo | undefined;
  private closing: Promise<void> | undefined;

  private constructor(options: MockProviderOptions) {
    this.name = options.name ?? 'mock';
    const models = options.models ?? ['mock-model'];
    this.settings = {
      name: this.name,
      models,
      content: options.content ?? `Hello from ${this.name}`,
      embeddingDimensions: options.embeddingDimensions ?? 8,
    };
    this.chunkDelayMs = options.chunkDelayMs ?? 0;
    this.maxRecords = Math.max(1, options.maxRecords ?? 10_000);
    this.latencyMs = options.latencyMs;
    this.selector = new FaultSelector(options.apiKeys, models);
    const handler = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    this.protocol = options.tls ? 'https' : 'http';
    this.server = options.tls
      ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler)
      : createServer(handler);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a mock listening on `options.host` (default `127.0.0.1`) and `options.port` (default: ephemeral). */
  static async start(options: MockProviderOptions = {}): Promise<MockProvider> {
    const provider = new MockProvider(options);
    await provider.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return provider;
  }

  /** The port the mock listens on. */
  get port(): number {
    return this.listening().port;
  }

  /** The OpenAI base URL of the mock, e.g. `http://127.0.0.1:PORT/v1` (`https:` with `tls`). */
  get baseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** The base URL of the mock's Anthropic Messages API (`POST {base}/messages`): the same `/v1`. */
  get anthropicBaseUrl(): string {
    return `${this.origin}/v1`;
  }

  /** The base URL of the mock's Gemini API (`POST {base}/models/{model}:generateContent`), e.g. `.../v1beta`. */
  get geminiBaseUrl(): string {
    return `${this.origin}/v1beta`;
  }

  private get origin(): string {
    const { address, port } = this.listening();
    const host = address.includes(':') ? `[${address}]` : address;
    return `${this.protocol}://${host}:${port}`;
  }

  /** Every request received so far, oldest first (a copy; the records themselves stay live). */
  get requests(): RecordedRequest[] {
    return [...this.records];
  }

  /** Queues faults, one per incoming request, first in first out. */
  script(...faults: Fault[]): this {
    this.selector.script(faults);
    return this;
  }

  /** Sets the fault used when the queue is empty and no schedule is active (initially `fault.ok()`). */
  setDefault(next: Fault): this {
    this.selector.setDefault(next);
    return this;
  }

  /**
   * Replaces the default with phases starting now: a phase ends after `requests` requests or `forMs`
   * ms from when it began; the last phase lasts forever. `null` removes the schedule.
   */
  schedule(phases: SchedulePhase[] | null): this {
    this.selector.setSchedule(phases, Date.now());
    return this;
  }

  /** Answers 429 once more than `limit` requests arrive within `windowMs`; `null` turns it off. */
  rateLimit(options: RateLimitOptions | null): this {
    this.selector.setRateLimit(options);
    return this;
  }

  /** Sets a custom decision consulted before every other rule; `undefined` from it falls through. `null` removes it. */
  handle(handler: FaultHandler | null): this {
    this.selector.setHandler(handler);
    return this;
  }

  /** Resolves with every request received so far once there are at least `n`. */
  waitForRequests(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedRequest[]> {
    return this.waiters.wait(
      () => (this.records.length >= n ? [...this.records] : undefined),
      timeoutMs,
      () => `expected ${n} requests to ${this.name}, received ${this.records.length}`,
    );
  }

  /** Resolves with the next aborted request not already returned by an earlier call, waiting if there is none yet. */
  waitForAbort(timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedRequest> {
    return this.waiters.wait(
      () => (this.abortsTaken < this.aborts.length ? this.aborts[this.abortsTaken++] : undefined),
      timeoutMs,
      () => `no request to ${this.name} was aborted`,
    );
  }

  /** Clears the queue, schedule, rate limit, handler and recorded requests; the default goes back to `fault.ok()`. */
  reset(): this {
    this.selector.reset();
    this.records = [];
    this.aborts = [];
    this.abortsTaken = 0;
    return this;
  }

  /** Closes the server, destroys every open connection and clears every timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.waiters.cancelAll(new Error(`MockProvider ${this.name} closed`));
    for (const exchange of [...this.exchanges]) exchange.terminate();
    const serverClosed = new Promise<void>((resolve) => {
      this.server.close(() => resolve());
    });
    const socketsClosed = [...this.sockets].map(
      (socket) =>
        new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.destroy();
        }),
    );
    await Promise.all([serverClosed, ...socketsClosed]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        resolve();
      });
    });
  }

  private listening(): AddressInfo {
    if (!this.address) throw new Error('MockProvider is not listening');
    return this.address;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const record = recordRequest(this.nextId++, req);
    const headers = { 'x-request-id': `req_${this.name}_${record.id}`, 'x-mock-provider': this.name };
    const exchange = new Exchange(record, res, headers, (ended) => this.onSettled(ended));
    this.exchanges.add(exchange);
    readBody(req).then(
      (raw) => this.answer(exchange, raw),
      () => this.remember(record),
    );
  }

  private async answer(exchange: Exchange, raw: string): Promise<void> {
    const { record } = exchange;
    try {
      applyBody(record, raw);
      const now = Date.now();
      const chosen = this.selector.select(record, now);
      const quota = this.selector.quotaHeaders(now);
      if (quota) exchange.addHeaders(quota);
      record.fault = chosen.type;
      this.remember(record);
      await runFault(
        { exchange, settings: this.settings, chunkDelayMs: this.chunkDelayMs, latencyMs: this.latencyMs },
        chosen,
      );
    } catch (error) {
      this.remember(record);
      const message = `MockProvider ${this.name} failed: ${error instanceof Error ? error.message : String(error)}`;
      exchange.fail(JSON.stringify(openAiError(500, { message })));
    }
  }

  private remember(record: RecordedRequest): void {
    if (!this.records.includes(record)) {
      this.records.push(record);
      if (this.records.length > this.maxRecords) this.records.shift();
    }
    this.noteAbort(record);
    this.waiters.poke();
  }

  private noteAbort(record: RecordedRequest): void {
    if (record.aborted && this.records.includes(record) && !this.aborts.includes(record))
      this.aborts.push(record);
  }

  private onSettled(exchange: Exchange): void {
    this.exchanges.delete(exchange);
    this.noteAbort(exchange.record);
    this.waiters.poke();
  }
}
