/**
 * Rate-limit windows in Redis, shared by every replica: the same sliding window as the core's
 * (60 one-second buckets plus the current one, so a call counts for 60 to 61 s), checked and taken
 * for every scope of a call in one Lua script, atomically, on Redis's own clock. When Redis is not
 * connected, or does not answer within `timeoutMs`, the store answers `undefined` and the client
 * decides with the windows of its own process.
 */
import { createHash } from 'node:crypto';
import type { RateDecision, RateLimitStore, RateScope } from '@ai-failover/core';
import type { Redis } from 'ioredis';

const BUCKET_MS = 1_000;
const BUCKETS = 61;
/** A window key outlives its newest bucket by a little, then Redis drops it. */
const KEY_TTL_MS = (BUCKETS + 5) * BUCKET_MS;

/**
 * KEYS: one hash per scope, fields `r:<bucket>` (requests) and `t:<bucket>` (tokens).
 * ARGV: tokens, bucket ms, buckets, key TTL ms, then rpm and tpm of each key (-1: no limit).
 * Returns { 1, 0, 0 } when taken, else { 0, ms until the refusing scope has room, its index }.
 */
const TAKE = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local tokens = tonumber(ARGV[1])
local bucketMs = tonumber(ARGV[2])
local buckets = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local current = math.floor(nowMs / bucketMs)
local oldest = current - buckets + 1
local refusedAt = 0
local refusing = 0
for i, key in ipairs(KEYS) do
  local rpm = tonumber(ARGV[3 + 2 * i])
  local tpm = tonumber(ARGV[4 + 2 * i])
  local flat = redis.call('HGETALL', key)
  local requests, used = 0, 0
  local perBucket = {}
  local stale = {}
  for j = 1, #flat, 2 do
    local field = flat[j]
    local bucket = tonumber(string.sub(field, 3))
    local value = tonumber(flat[j + 1])
    if bucket == nil or bucket < oldest then
      table.insert(stale, field)
    elseif bucket <= current then
      local entry = perBucket[bucket]
      if entry == nil then
        entry = { 0, 0 }
        perBucket[bucket] = entry
      end
      if string.sub(field, 1, 1) == 'r' then
        entry[1] = entry[1] + value
        requests = requests + value
      else
        entry[2] = entry[2] + value
        used = used + value
      end
    end
  end
  if #stale > 0 then redis.call('HDEL', key, unpack(stale)) end
  if used < 0 then used = 0 end
  local excessRequests = 0
  if rpm >= 0 then excessRequests = requests + 1 - rpm end
  local excessTokens = 0
  if tpm >= 0 then excessTokens = used + math.min(tokens, tpm) - tpm end
  if excessRequests > 0 or excessTokens > 0 then
    local at = (current + buckets) * bucketMs
    local freedRequests, freedTokens = 0, 0
    for bucket = oldest, current do
      local entry = perBucket[bucket]
      if entry ~= nil then
        freedRequests = freedRequests + entry[1]
        freedTokens = freedTokens + entry[2]
        if freedRequests >= excessRequests and freedTokens >= excessTokens then
          at = (bucket + buckets) * bucketMs
          break
        end
      end
    end
    if at > refusedAt then
      refusedAt = at
      refusing = i
    end
  end
end
if refusing > 0 then return { 0, refusedAt - nowMs, refusing } end
for i, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 'r:' .. current, 1)
  if tonumber(ARGV[4 + 2 * i]) >= 0 and tokens ~= 0 then redis.call('HINCRBY', key, 't:' .. current, tokens) end
  redis.call('PEXPIRE', key, ttl)
end
return { 1, 0, 0 }
`;

/** KEYS: the hashes of scopes with a token limit. ARGV: tokens to add, bucket ms, key TTL ms. */
const ADJUST = `
local now = redis.call('TIME')
local current = math.floor((tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)) / tonumber(ARGV[2]))
for _, key in ipairs(KEYS) do
  redis.call('HINCRBY', key, 't:' .. current, ARGV[1])
  redis.call('PEXPIRE', key, ARGV[3])
end
return 1
`;

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');
const TAKE_SHA = sha1(TAKE);
const ADJUST_SHA = sha1(ADJUST);

/** A {@link RateLimitStore} on one Redis connection. */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #keyPrefix: string;
  readonly #timeoutMs: number;
  readonly #onError: (error: unknown) => void;

  /**
   * @param keyPrefix start of every window key, e.g. `ai-failover:<namespace>:rate:`
   * @param timeoutMs how long a call waits for Redis before it is decided locally
   * @param onError told of every failed command (not of a connection that is simply down)
   */
  constructor(redis: Redis, keyPrefix: string, timeoutMs: number, onError: (error: unknown) => void) {
    this.#redis = redis;
    this.#keyPrefix = keyPrefix;
    this.#timeoutMs = timeoutMs;
    this.#onError = onError;
  }

  take(
    scopes: readonly RateScope[],
    tokens: number,
    now: number,
  ): Promise<RateDecision | undefined> | undefined {
    if (this.#redis.status !== 'ready') return undefined;
    const args: (string | number)[] = [Math.max(0, Math.round(tokens)), BUCKET_MS, BUCKETS, KEY_TTL_MS];
    for (const scope of scopes) args.push(scope.rpm ?? -1, scope.tpm ?? -1);
    const keys = scopes.map((scope) => this.#keyPrefix + scope.id);
    return this.#run(TAKE, TAKE_SHA, keys, args).then((reply) => {
      if (!Array.isArray(reply)) return undefined;
      const [taken, waitMs, index] = reply as [number, number, number];
      if (taken === 1) return { allowed: true, retryAt: 0 };
      return { allowed: false, retryAt: now + Math.max(1, waitMs), scope: scopes[index - 1]?.id };
    });
  }

  adjust(scopes: readonly RateScope[], tokens: number): void {
    const limited = scopes.filter((scope) => scope.tpm !== undefined);
    if (limited.length === 0 || tokens === 0 || this.#redis.status !== 'ready') return;
    const keys = limited.map((scope) => this.#keyPrefix + scope.id);
    void this.#run(ADJUST, ADJUST_SHA, keys, [Math.round(tokens), BUCKET_MS, KEY_TTL_MS]);
  }

  /** Runs a script by its SHA (loading it on first use), within the timeout; undefined on any trouble. */
  #run(script: string, sha: string, keys: string[], args: (string | number)[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#timeoutMs);
    });
    const ran = this.#redis
      .evalsha(sha, keys.length, ...keys, ...args)
      .catch((error: unknown) => {
        if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
        return this.#redis.eval(script, keys.length, ...keys, ...args);
      })
      .catch((error: unknown) => {
        this.#onError(error);
        return undefined;
      });
    return Promise.race([ran, timedOut]).finally(() => clearTimeout(timer));
  }
}
