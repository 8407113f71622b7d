/**
 * Shares what one replica learns about its providers (breakers that open and close, keys and
 * deployments cooling down) with every other replica, through Redis: each change is stored under
 * a key of its own (so a replica that starts later can read it) and published on a channel (so
 * running replicas apply it at once). Redis is a convenience here, never a dependency of a call:
 * when it is slow or gone, changes are dropped and every replica keeps deciding on its own.
 */
import { randomUUID } from 'node:crypto';
import { type AiClient, ClientClosedError, type Disposer, type StateChange } from '@ai-failover/core';
import { Redis } from 'ioredis';
import { decode, encode, subjectOf } from './codec';
import { type RedisSharingOptions, type ResolvedSharingOptions, resolveSharingOptions } from './options';
import { RedisRateLimitStore } from './rate-limits';

/** A running share of state; `close()` stops it. */
export interface RedisSharing {
  /** Id of this replica's share, carried by every message it publishes. */
  readonly origin: string;
  /** The namespace in use (`{prefix}:{namespace}:...`). */
  readonly namespace: string;
  /** The channel changes are published on. */
  readonly channel: string;
  /**
   * Stops sharing: removes the client listener, unsubscribes, and closes the connections made
   * here (not an ioredis connection that was passed in). Idempotent.
   */
  close(): Promise<void>;
}

/**
 * Makes `client` share its breaker and cooldown changes through Redis, and apply those of every
 * other replica in the same namespace. Resolves once the state already in Redis is applied, or
 * after `startTimeoutMs` when Redis does not answer (it is then read as soon as Redis does).
 * Throws a `ConfigError` for bad options and a `ClientClosedError` for a closed client.
 */
export async function shareStateThroughRedis(
  client: AiClient,
  options: RedisSharingOptions,
): Promise<RedisSharing> {
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.on !== 'function' ||
    typeof client.applyStateChange !== 'function'
  ) {
    throw new TypeError('shareStateThroughRedis(client, options): client must be an AiClient');
  }
  if (client.closed) throw new ClientClosedError();
  const sharing = new RedisStateSharing(client, resolveSharingOptions(client, options));
  await sharing.start();
  return sharing;
}

/** Updates a cooldown only when it lasts longer than the one stored (a shorter one is still published). */
const KEEP_LONGEST = `local ttl = redis.call('PTTL', KEYS[1])
if ttl >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** Most state entries read at start. */
const MAX_ENTRIES = 10_000;
/** Keys asked per SCAN / MGET round trip. */
const BATCH = 250;
/** Most messages held while the stored state is being read. */
const MAX_BUFFERED = 1_000;
/** How long a connection gets to quit before it is cut. */
const QUIT_TIMEOUT_MS = 2_000;
/** At most one report of ignored entries per this many ms. */
const IGNORED_LOG_INTERVAL_MS = 60_000;

type ConnectionName = 'commands' | 'subscriber';

const noop = (): void => {};

class RedisStateSharing implements RedisSharing {
  readonly origin = randomUUID();
  readonly namespace: string;
  readonly channel: string;
  readonly #client: AiClient;
  readonly #options: ResolvedSharingOptions;
  readonly #commands: Redis;
  readonly #ownsCommands: boolean;
  readonly #subscriber: Redis;
  /** `{prefix}:{namespace}:state:`, the start of every state key. */
  readonly #statePrefix: string;
  readonly #removers: Array<() => void> = [];
  readonly #down = new Set<ConnectionName>();
  #disposeChange: Disposer | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #subscribed = false;
  #subscribing = false;
  #syncing: Promise<void> | undefined;
  #syncAgain = false;
  /** Messages that arrived while the stored state was being read: applied after it. */
  #buffer: string[] | undefined;
  #onSynced: (() => void) | undefined;
  #ignoredLoggedAt = Number.NEGATIVE_INFINITY;
  #ignoredUnreported = 0;

  constructor(client: AiClient, options: ResolvedSharingOptions) {
    this.#client = client;
    this.#options = options;
    this.namespace = options.namespace;
    const base = `${options.prefix}:${options.namespace}`;
    this.channel = `${base}:changes`;
    this.#statePrefix = `${base}:state:`;
    // Without an offline queue a change made while Redis is away is dropped, not replayed late.
    // ioredis arms a timer of `disconnectTimeout` on every disconnect, even of a socket already gone.
    const connection = { enableOfflineQueue: false, lazyConnect: false, disconnectTimeout: 200 } as const;
    if (typeof options.redis === 'string') {
      this.#commands = new Redis(options.redis, connection);
      this.#ownsCommands = true;
    } else {
      this.#commands = options.redis;
      this.#ownsCommands = false;
    }
    this.#subscriber = this.#commands.duplicate(connection);
  }

  async start(): Promise<void> {
    const commands = this.#commands;
    const subscriber = this.#subscriber;
    this.#listen(subscriber, 'message', (channel: string, message: string) =>
      this.#onMessage(channel, message),
    );
    this.#listen(subscriber, 'ready', () => this.#subscriberReady());
    this.#listen(subscriber, 'error', (error: unknown) => this.#connectionError('subscriber', error));
    this.#listen(commands, 'ready', () => this.#commandsReady());
    if (this.#ownsCommands) {
      this.#listen(commands, 'error', (error: unknown) => this.#connectionError('commands', error));
    } else if (commands.status === 'wait') {
      commands.connect().catch(noop);
    }
    this.#disposeChange = this.#client.on('stateChange', (change) => this.#publish(change));
    if (this.#options.rateLimits) {
      const store = new RedisRateLimitStore(
        commands,
        `${this.#options.prefix}:${this.namespace}:rate:`,
        this.#options.rateLimitTimeoutMs,
        (error) => this.#rateLimitError(error),
      );
      this.#client.useRateLimitStore(store);
    }

    let timer: NodeJS.Timeout | undefined;
    const synced = new Promise<boolean>((resolve) => {
      this.#onSynced = () => resolve(true);
    });
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#options.startTimeoutMs);
    });
    if (commands.status === 'ready') this.#commandsReady();
    const inTime = await Promise.race([synced, timedOut]);
    clearTimeout(timer);
    this.#onSynced = undefined;
    if (!inTime) {
      this.#options.logger?.warn?.(
        'ai-failover: Redis did not answer in time; serving without the shared state until it does',
        { timeoutMs: this.#options.startTimeoutMs, namespace: this.namespace },
      );
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    this.#disposeChange?.();
    if (this.#options.rateLimits && !this.#client.closed) this.#client.useRateLimitStore(undefined);
    this.#buffer = undefined;
    const subscriber = this.#subscriber;
    if (this.#subscribed && subscriber.status === 'ready') {
      await subscriber.unsubscribe(this.channel).catch(noop);
    }
    await Promise.all([quit(subscriber), this.#ownsCommands ? quit(this.#commands) : undefined]);
    for (const remove of this.#removers.splice(0)) remove();
  }

  // -------------------------------------------------------------------------------------------
  // Outbound: a change learned here is stored and published in one transaction
  // -------------------------------------------------------------------------------------------

  #publish(change: StateChange): void {
    if (this.#closed) return;
    const key = this.#statePrefix + subjectOf(change);
    const payload = encode(this.origin, change);
    let ttlMs = this.#options.breakerTtlMs;
    if (change.kind === 'cooldown' || (change.state === 'open' && change.until !== undefined)) {
      // A cooldown, or an open breaker that says when it lets a probe through: kept exactly that long.
      ttlMs = Math.ceil((change.until ?? 0) - Date.now());
      if (ttlMs <= 0) return;
    }
    try {
      const transaction = this.#commands.multi();
      if (change.kind === 'cooldown') transaction.eval(KEEP_LONGEST, 1, key, payload, ttlMs);
      else if (change.state === 'open') transaction.set(key, payload, 'PX', ttlMs);
      else transaction.del(key);
      transaction.publish(this.channel, payload);
      transaction.exec().then(
        (results) => {
          const failed = results?.find(([error]) => error !== null)?.[0];
          if (failed) this.#dropped(change, failed);
        },
        (error: unknown) => this.#dropped(change, error),
      );
    } catch (error) {
      this.#dropped(change, error);
    }
  }

  /** A rate-limit command failed while connected (the call was decided locally). */
  #rateLimitError(error: unknown): void {
    if (this.#closed || this.#commands.status !== 'ready') return;
    this.#options.logger?.warn?.('ai-failover: rate limit decided locally, Redis failed', {
      error: messageOf(error),
    });
  }

  #dropped(change: StateChange, error: unknown): void {
    if (this.#closed) return;
    const fields = { kind: change.kind, deployment: change.deployment, error: messageOf(error) };
    // While a connection is down its trouble is already reported: a dropped change is expected then.
    if (this.#down.size > 0 || this.#commands.status !== 'ready') {
      this.#options.logger?.debug?.('ai-failover: change not shared, Redis is not connected', fields);
    } else {
      this.#options.logger?.warn?.('ai-failover: change not shared through Redis', fields);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inbound: the stored state (at start and after every reconnection), then the channel
  // -------------------------------------------------------------------------------------------

  #subscriberReady(): void {
    this.#recovered('subscriber');
    if (this.#closed) return;
    if (this.#subscribed) {
      void this.#resync();
      return;
    }
    if (this.#subscribing) return;
    this.#subscribing = true;
    this.#subscriber.subscribe(this.channel).then(
      () => {
        this.#subscribing = false;
        this.#subscribed = true;
        void this.#resync();
      },
      (error: unknown) => {
        this.#subscribing = false;
        if (!this.#closed) {
          this.#options.logger?.warn?.('ai-failover: could not subscribe to the Redis channel', {
            channel: this.channel,
            error: messageOf(error),
          });
        }
      },
    );
  }

  #commandsReady(): void {
    if (this.#ownsCommands) this.#recovered('commands');
    void this.#resync();
  }

  /** Reads the stored state when both connections are up; coalesces overlapping requests. */
  #resync(): Promise<void> {
    if (
      this.#closed ||
      !this.#subscribed ||
      this.#subscriber.status !== 'ready' ||
      this.#commands.status !== 'ready'
    ) {
      return Promise.resolve();
    }
    if (this.#syncing) {
      this.#syncAgain = true;
      return this.#syncing;
    }
    this.#syncing = this.#sync().finally(() => {
      this.#syncing = undefined;
      if (this.#syncAgain) {
        this.#syncAgain = false;
        void this.#resync();
      }
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    this.#buffer = [];
    try {
      // The PING answers after any pending SUBSCRIBE: no change falls between reading and listening.
      await this.#subscriber.ping();
      const entries = await this.#readState();
      let applied = 0;
      for (const [key, value] of entries) if (this.#receive(value, key)) applied++;
      this.#options.logger?.debug?.('ai-failover: read the shared state from Redis', {
        namespace: this.namespace,
        entries: entries.length,
        applied,
      });
    } catch (error) {
      if (!this.#closed) {
        this.#options.logger?.warn?.('ai-failover: could not read the shared state from Redis', {
          namespace: this.namespace,
          error: messageOf(error),
        });
      }
    } finally {
      const buffered = this.#buffer ?? [];
      this.#buffer = undefined;
      for (const message of buffered) this.#receive(message);
    }
    this.#onSynced?.();
  }

  async #readState(): Promise<Array<[string, string]>> {
    const commands = this.#commands;
    // ioredis prefixes the keys of MGET with the connection's keyPrefix, not SCAN's pattern or result.
    const keyPrefix = commands.options.keyPrefix ?? '';
    const pattern = `${escapeGlob(keyPrefix + this.#statePrefix)}*`;
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await commands.scan(cursor, 'MATCH', pattern, 'COUNT', BATCH);
      cursor = next;
      for (const key of batch) if (keys.size < MAX_ENTRIES) keys.add(key.slice(keyPrefix.length));
    } while (cursor !== '0' && keys.size < MAX_ENTRIES);
    const names = [...keys];
    const entries: Array<[string, string]> = [];
    for (let at = 0; at < names.length; at += BATCH) {
      const chunk = names.slice(at, at + BATCH);
      const values = await commands.mget(chunk);
      chunk.forEach((key, i) => {
        const value = values[i];
        if (typeof value === 'string') entries.push([key, value]);
      });
    }
    return entries;
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.channel || this.#closed) return;
    if (this.#buffer) {
      if (this.#buffer.length < MAX_BUFFERED) this.#buffer.push(message);
      else this.#ignore('too many messages while reading the stored state', 'message');
      return;
    }
    this.#receive(message);
  }

  /**
   * Applies one message, or one stored entry when `key` is given. Returns whether the client
   * took the change (a change of this replica's own, a past cooldown, or a deployment this
   * replica does not have, is not taken).
   */
  #receive(raw: string, key?: string): boolean {
    const source = key === undefined ? 'message' : 'stored entry';
    const decoded = decode(raw);
    if (!decoded.ok) {
      this.#ignore(decoded.reason, source);
      return false;
    }
    const { origin, change } = decoded.envelope;
    if (origin === this.origin || this.#closed || this.#client.closed) return false;
    if (key !== undefined && key !== this.#statePrefix + subjectOf(change)) {
      this.#ignore('stored under a key that does not name its change', source);
      return false;
    }
    try {
      return this.#client.applyStateChange(change);
    } catch (error) {
      this.#options.logger?.warn?.('ai-failover: could not apply a shared change', {
        kind: change.kind,
        deployment: change.deployment,
        error: messageOf(error),
      });
      return false;
    }
  }

  /** Reports what was ignored, at most once a minute (a shared Redis may hold anything). */
  #ignore(reason: string, source: string): void {
    const now = Date.now();
    if (now - this.#ignoredLoggedAt < IGNORED_LOG_INTERVAL_MS) {
      this.#ignoredUnreported++;
      return;
    }
    this.#options.logger?.warn?.(`ai-failover: ignored a ${source} from Redis: ${reason}`, {
      channel: this.channel,
      ignoredSinceLastReport: this.#ignoredUnreported,
    });
    this.#ignoredLoggedAt = now;
    this.#ignoredUnreported = 0;
  }

  // -------------------------------------------------------------------------------------------
  // Connections
  // -------------------------------------------------------------------------------------------

  #listen(connection: Redis, event: string, listener: Parameters<Redis['on']>[1]): void {
    connection.on(event, listener);
    this.#removers.push(() => connection.off(event, listener));
  }

  /** Reports the first error of an outage; ioredis reconnects by itself. */
  #connectionError(name: ConnectionName, error: unknown): void {
    if (this.#closed || this.#down.has(name)) return;
    this.#down.add(name);
    this.#options.logger?.warn?.(
      'ai-failover: Redis connection error; state is not shared until it reconnects',
      {
        connection: name,
        error: messageOf(error),
      },
    );
  }

  #recovered(name: ConnectionName): void {
    if (this.#down.delete(name) && !this.#closed) {
      this.#options.logger?.info?.('ai-failover: Redis connection restored', { connection: name });
    }
  }
}

/** Closes a connection: QUIT when it is up, otherwise at once; resolves when nothing of it is left. */
function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      connection.off('end', finish);
      resolve();
    };
    const timer = setTimeout(() => {
      connection.disconnect();
      finish();
    }, QUIT_TIMEOUT_MS);
    connection.once('end', finish);
    if (connection.status === 'ready') {
      connection.quit().catch(() => connection.disconnect());
      return;
    }
    connection.disconnect();
    // Between two attempts there is no socket: disconnect() only cancels the next attempt.
    if (connection.status === 'reconnecting') finish();
  });
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
