/**
 * The rate-limit gate in front of every attempt: the budgets a call on one deployment with one key
 * draws on (the deployment's, its provider's, that key's), what the provider's headers said is
 * left, and the store the windows live in (this process, or Redis through `@ai-failover/redis`).
 * A deployment without limits and without learned quotas costs one map lookup.
 */
import { LearnedQuota, readQuotaHeaders } from '../policies/quota-headers';
import {
  ALLOWED,
  LocalRateLimitStore,
  type RateDecision,
  type RateLimitStore,
  type RateScope,
} from '../policies/rate-limit';
import { estimateTokens, tokenCounter } from '../policies/token-estimate';
import type { ResolvedRateLimit } from '../types';
import type { DeploymentRuntime } from './runtime';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** The estimated tokens of one call, computed on first need. */
export interface TokenEstimate {
  readonly tokens: number;
  /** Whether `tokens` was computed (and so charged to a budget). */
  readonly counted: boolean;
}

/** Estimates a request body's tokens the first time they are asked for. */
export class LazyTokenEstimate implements TokenEstimate {
  readonly #request: Record<string, unknown>;
  #tokens = -1;

  constructor(request: object) {
    this.#request = request as Record<string, unknown>;
  }

  get counted(): boolean {
    return this.#tokens >= 0;
  }

  get tokens(): number {
    if (this.#tokens < 0) this.#tokens = estimateTokens(this.#request, tokenCounter());
    return this.#tokens;
  }
}

/** A deployment's limits as health reports show them. */
export interface RateLimitStatus {
  /** Configured budgets this deployment draws on, with what their windows hold now (this process's view). */
  limits: { scope: string; rpm: number | null; tpm: number | null; requests: number; tokens: number }[];
  /** What the provider's headers said is left, per key (by index), when known. */
  learned: {
    key: number;
    requests: { limit: number | null; remaining: number; resetAt: string } | null;
    tokens: { limit: number | null; remaining: number; resetAt: string } | null;
  }[];
  /** ISO time until which the last call found no budget, when that is still ahead. */
  limitedUntil: string | null;
}

const NO_SCOPES: readonly RateScope[] = Object.freeze([]);

export class RateGate {
  readonly #local = new LocalRateLimitStore();
  #store: RateLimitStore = this.#local;
  readonly #learn: boolean;
  /** Per deployment id: the scopes of a call with each key index. */
  readonly #scopes = new Map<string, readonly (readonly RateScope[])[]>();
  /** Per deployment id: what the headers said, per key index (made on the first header seen). */
  readonly #learned = new Map<string, (LearnedQuota | undefined)[]>();

  constructor(deployments: Iterable<DeploymentRuntime>, learnFromHeaders: boolean) {
    this.#learn = learnFromHeaders;
    for (const deployment of deployments) {
      const provider = deployment.provider;
      const own = scope(`deployment:${deployment.id}`, deployment.config.rateLimit);
      const shared = scope(`provider:${provider.config.id}`, provider.config.rateLimit);
      const keys = Math.max(1, provider.keys.size);
      const perKey: (readonly RateScope[])[] = [];
      for (let i = 0; i < keys; i++) {
        const fingerprint = provider.keys.fingerprints[i];
        const key =
          fingerprint === undefined
            ? undefined
            : scope(`key:${provider.config.id}:${fingerprint}`, provider.config.keyRateLimit);
        const list = [own, shared, key].filter((s): s is RateScope => s !== undefined);
        perKey.push(list.length > 0 ? list : NO_SCOPES);
      }
      if (perKey.some((list) => list.length > 0)) this.#scopes.set(deployment.id, perKey);
    }
  }

  /** Whether any budget applies to this deployment (configured or learned). */
  limits(deployment: DeploymentRuntime): boolean {
    return this.#scopes.has(deployment.id) || this.#learned.has(deployment.id);
  }

  /** Windows go to `store` from now on (undefined: back to this process's own). */
  useStore(store: RateLimitStore | undefined): void {
    this.#store = store ?? this.#local;
  }

  /**
   * Takes the budget of one call on `deployment` with key `keyIndex`, or refuses with the time
   * budget is back. Tokens are estimated only when a token budget applies.
   */
  admit(
    deployment: DeploymentRuntime,
    keyIndex: number,
    estimate: TokenEstimate,
    now: number,
  ): RateDecision | Promise<RateDecision> {
    const learned = this.#learned.get(deployment.id)?.[keyIndex];
    const scopes = this.#scopes.get(deployment.id)?.[keyIndex] ?? NO_SCOPES;
    const tokens = learned || scopes.some((s) => s.tpm !== undefined) ? estimate.tokens : 0;
    if (learned) {
      const at = learned.fitsAt(tokens, now);
      if (at > now) return { allowed: false, retryAt: at, scope: 'headers' };
    }
    if (scopes.length === 0) {
      learned?.take(tokens, now);
      return ALLOWED;
    }
    const store = this.#store;
    const decision =
      store === this.#local ? this.#local.take(scopes, tokens, now) : store.take(scopes, tokens, now);
    if (decision instanceof Promise) {
      return decision.then(
        (answer) => taken(answer ?? this.#local.take(scopes, tokens, now), learned, tokens, now),
        () => taken(this.#local.take(scopes, tokens, now), learned, tokens, now),
      );
    }
    return taken(decision ?? this.#local.take(scopes, tokens, now), learned, tokens, now);
  }

  /**
   * After the attempt: corrects the tokens charged with what `usage` says (`actualTokens`), or
   * gives them back when the attempt failed without an answer (`undefined`).
   */
  settle(
    deployment: DeploymentRuntime,
    keyIndex: number,
    estimated: number,
    actualTokens: number | undefined,
    now: number,
  ): void {
    const delta = actualTokens === undefined ? -estimated : actualTokens - estimated;
    if (delta === 0) return;
    this.#learned.get(deployment.id)?.[keyIndex]?.adjust(delta, now);
    const scopes = this.#scopes.get(deployment.id)?.[keyIndex];
    if (scopes?.some((s) => s.tpm !== undefined)) this.#store.adjust(scopes, delta, now);
  }

  /** Learns what the provider's `x-ratelimit-*` headers of an answer say is left. */
  learn(deployment: DeploymentRuntime, keyIndex: number, headers: Headers | undefined, now: number): void {
    if (!this.#learn || !headers) return;
    const quota = readQuotaHeaders(headers);
    if (!quota) return;
    let perKey = this.#learned.get(deployment.id);
    if (!perKey) {
      perKey = [];
      this.#learned.set(deployment.id, perKey);
    }
    let learned = perKey[keyIndex];
    if (!learned) {
      learned = new LearnedQuota();
      perKey[keyIndex] = learned;
    }
    learned.update(quota, now);
  }

  status(deployment: DeploymentRuntime, now: number): RateLimitStatus | undefined {
    if (!this.limits(deployment)) return undefined;
    const seen = new Set<string>();
    const limits: RateLimitStatus['limits'] = [];
    for (const list of this.#scopes.get(deployment.id) ?? []) {
      for (const s of list) {
        if (seen.has(s.id)) continue;
        seen.add(s.id);
        const used = this.#store.usage ? this.#store.usage(s, now) : this.#local.usage(s, now);
        limits.push({
          scope: s.id,
          rpm: s.rpm ?? null,
          tpm: s.tpm ?? null,
          requests: used?.requests ?? 0,
          tokens: used?.tokens ?? 0,
        });
      }
    }
    const iso = (at: number) => new Date(at).toISOString();
    const learned: RateLimitStatus['learned'] = [];
    (this.#learned.get(deployment.id) ?? []).forEach((quota, key) => {
      const known = quota?.snapshot(now);
      if (!known || (!known.requests && !known.tokens)) return;
      learned.push({
        key,
        requests: known.requests ? { ...known.requests, resetAt: iso(known.requests.resetAt) } : null,
        tokens: known.tokens ? { ...known.tokens, resetAt: iso(known.tokens.resetAt) } : null,
      });
    });
    const until = deployment.rateLimitedUntil;
    return { limits, learned, limitedUntil: until > now ? iso(until) : null };
  }
}

/** Counts an allowed call against the learned quota too. */
function taken(
  decision: RateDecision,
  learned: LearnedQuota | undefined,
  tokens: number,
  now: number,
): RateDecision {
  if (decision.allowed) learned?.take(tokens, now);
  return decision;
}

function scope(id: string, limits: ResolvedRateLimit | undefined): RateScope | undefined {
  return limits ? { id, rpm: limits.rpm, tpm: limits.tpm } : undefined;
}
