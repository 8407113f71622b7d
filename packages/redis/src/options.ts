/** Options of `shareStateThroughRedis()`, checked once and resolved into a frozen object. */
import { createHash } from 'node:crypto';
import type { AiClient, Logger } from '@ai-failover/core';
import {
  checked,
  customField,
  expected,
  intBetween,
  loggerSchema,
  parseOptions,
  strictObject,
} from '@ai-failover/core/options';
import type { Redis } from 'ioredis';

/** Options of `shareStateThroughRedis()`. */
export interface RedisSharingOptions {
  /**
   * The Redis to share through: a `redis://` or `rediss://` URL (the connections are created and
   * closed here), or an ioredis connection, used for writes and reads and left open by `close()`.
   * A second connection, for the subscription, is always made with `duplicate()` and closed here.
   */
  redis: string | Redis;
  /** First segment of every key and of the channel (default `'ai-failover'`). */
  prefix?: string;
  /**
   * Separates apps (or environments) that share one Redis. Default: a hash of the sorted
   * deployment ids, so replicas with the same deployments find each other and others do not.
   */
  namespace?: string;
  /** How long an open breaker stays in Redis for replicas that start later (default 60 000 ms). */
  breakerTtlMs?: number;
  /**
   * How long `shareStateThroughRedis()` waits for Redis before resolving without the shared state
   * (default 5 000 ms). The state is read as soon as Redis answers, whenever that is.
   */
  startTimeoutMs?: number;
  /** Where connection trouble and ignored entries are reported (default: the client's logger). */
  logger?: Logger;
  /**
   * Keep the client's rate-limit windows in Redis, so the replicas' calls add up to one limit
   * (default true). While Redis is away each replica counts its own calls.
   */
  rateLimits?: boolean;
  /** How long a call waits for Redis's rate-limit answer before deciding on its own (default 100 ms). */
  rateLimitTimeoutMs?: number;
}

/** The options after checks and defaults. */
export interface ResolvedSharingOptions {
  readonly redis: string | Redis;
  readonly prefix: string;
  readonly namespace: string;
  readonly breakerTtlMs: number;
  readonly startTimeoutMs: number;
  readonly logger: Logger | undefined;
  readonly rateLimits: boolean;
  readonly rateLimitTimeoutMs: number;
}

/** Defaults of the optional settings. */
export const SHARING_DEFAULTS = Object.freeze({
  prefix: 'ai-failover',
  breakerTtlMs: 60_000,
  startTimeoutMs: 5_000,
  rateLimits: true,
  rateLimitTimeoutMs: 100,
});

const MAX_SEGMENT_LENGTH = 200;
const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;

/** A key segment: non-empty, at most 200 characters, no whitespace. */
const segment = () =>
  checked<string>(
    `a non-empty string of at most ${MAX_SEGMENT_LENGTH} characters without spaces`,
    (value) =>
      typeof value === 'string' &&
      value.length > 0 &&
      value.length <= MAX_SEGMENT_LENGTH &&
      !/\s/.test(value),
  );

const sharingOptionsSchema = strictObject(
  {
    redis: customField<string | Redis>(connectionProblem),
    prefix: segment().optional(),
    namespace: segment().optional(),
    breakerTtlMs: intBetween(1, MAX_DURATION_MS).optional(),
    startTimeoutMs: intBetween(0, MAX_DURATION_MS).optional(),
    logger: loggerSchema.optional(),
    rateLimits: checked<boolean>('true or false', (value) => typeof value === 'boolean').optional(),
    rateLimitTimeoutMs: intBetween(1, MAX_DURATION_MS).optional(),
  },
  'an options object with at least `redis`',
);

/** Checks the options (throws a `ConfigError` listing every problem) and applies the defaults. */
export function resolveSharingOptions(
  client: AiClient,
  options: RedisSharingOptions,
): ResolvedSharingOptions {
  const given = parseOptions(sharingOptionsSchema, options, 'redis');
  return Object.freeze({
    redis: given.redis,
    prefix: given.prefix ?? SHARING_DEFAULTS.prefix,
    namespace: given.namespace ?? defaultNamespace(client),
    breakerTtlMs: given.breakerTtlMs ?? SHARING_DEFAULTS.breakerTtlMs,
    startTimeoutMs: given.startTimeoutMs ?? SHARING_DEFAULTS.startTimeoutMs,
    logger: given.logger ?? client.config.logger,
    rateLimits: given.rateLimits ?? SHARING_DEFAULTS.rateLimits,
    rateLimitTimeoutMs: given.rateLimitTimeoutMs ?? SHARING_DEFAULTS.rateLimitTimeoutMs,
  });
}

/** A short hash of the sorted deployment ids: the same on every replica that runs the same config. */
export function defaultNamespace(client: AiClient): string {
  const ids = [...client.config.deployments.keys()].sort();
  return createHash('sha256').update(ids.join('\n')).digest('hex').slice(0, 16);
}

/** What is wrong with the `redis` option, if anything. */
function connectionProblem(redis: unknown): string | undefined {
  if (typeof redis === 'string') {
    let protocol: string | undefined;
    try {
      protocol = new URL(redis).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol === 'redis:' || protocol === 'rediss:') return undefined;
    return 'must be a redis:// or rediss:// URL, or an ioredis connection (for sockets, Sentinel and the like)';
  }
  if (typeof redis !== 'object' || redis === null) {
    return expected('a redis:// URL or an ioredis connection', redis);
  }
  const candidate = redis as Record<string, unknown>;
  if (candidate.isCluster === true) {
    return 'a Redis Cluster is not supported: pass a connection to one Redis (or its primary)';
  }
  const missing = ['duplicate', 'multi', 'scan', 'mget', 'on', 'off'].filter(
    (method) => typeof candidate[method] !== 'function',
  );
  return missing.length > 0 ? `is not an ioredis connection (no ${missing.join(', ')})` : undefined;
}
