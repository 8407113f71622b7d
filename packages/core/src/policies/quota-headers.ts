/**
 * Limits learned from a provider's own rate-limit headers, as OpenAI sends them on every answer:
 * `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`
 * (a duration such as `1s`, `6m0s` or `20ms`) and the same three for tokens. Once the remaining
 * count reaches 0, calls stop until the reset instead of collecting a 429.
 */

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** Longest reset honoured (a provider-given wait is capped like every other). */
export const MAX_RESET_MS = 3_600_000;

/** What one answer said about one kind of budget (requests or tokens). */
export interface QuotaReading {
  readonly limit: number | undefined;
  readonly remaining: number;
  /** ms from the answer until the budget is full again. */
  readonly resetMs: number;
}

export interface QuotaHeaders {
  readonly requests: QuotaReading | undefined;
  readonly tokens: QuotaReading | undefined;
}

/** Reads the rate-limit headers of an answer; undefined when it has none. */
export function readQuotaHeaders(headers: Headers): QuotaHeaders | undefined {
  const requests = reading(headers, 'requests');
  const tokens = reading(headers, 'tokens');
  return requests || tokens ? { requests, tokens } : undefined;
}

function reading(headers: Headers, kind: 'requests' | 'tokens'): QuotaReading | undefined {
  const remaining = count(headers[`x-ratelimit-remaining-${kind}`]);
  if (remaining === undefined) return undefined;
  const resetMs = parseResetDuration(first(headers[`x-ratelimit-reset-${kind}`]));
  return {
    limit: count(headers[`x-ratelimit-limit-${kind}`]),
    remaining,
    // Without a reset time the budget is assumed back within the minute these limits are per.
    resetMs: resetMs ?? 60_000,
  };
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const DURATION = /^(?:(\d+(?:\.\d+)?)(ms|h|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;

/**
 * A reset duration in ms: Go-style (`1s`, `6m0s`, `1h2m3.5s`, `20ms`) or a bare number of
 * seconds; capped at {@link MAX_RESET_MS}. Undefined when unreadable.
 */
export function parseResetDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '' || text.length > 32) return undefined;
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else if (DURATION.test(text)) {
    ms = 0;
    for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit!]!;
  } else return undefined;
  return Number.isFinite(ms) ? Math.min(Math.ceil(ms), MAX_RESET_MS) : undefined;
}

function count(value: string | string[] | undefined): number | undefined {
  const text = first(value);
  if (text === undefined || !/^\s*\d{1,15}\s*$/.test(text)) return undefined;
  return Number(text);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Budget of one kind as last reported, counted down by the calls sent since. */
interface Learned {
  limit: number | undefined;
  remaining: number;
  resetAt: number;
}

/**
 * What the headers of one deployment's answers (for one key) said is left. Calls sent since the
 * last answer count down from it; the next answer replaces it.
 */
export class LearnedQuota {
  #requests: Learned | undefined;
  #tokens: Learned | undefined;

  update(headers: QuotaHeaders, now: number): void {
    if (headers.requests) this.#requests = learned(headers.requests, now);
    if (headers.tokens) this.#tokens = learned(headers.tokens, now);
  }

  /** When a call of `tokens` may go: `now` or earlier when it may, else when the budget resets. */
  fitsAt(tokens: number, now: number): number {
    let at = now;
    const requests = this.#requests;
    if (requests && requests.resetAt > now && requests.remaining < 1) at = requests.resetAt;
    const budget = this.#tokens;
    if (budget && budget.resetAt > now && budget.remaining < Math.max(1, tokens)) {
      // A call larger than the whole budget waits for the reset only if part of it is spent.
      if (budget.limit === undefined || tokens <= budget.limit || budget.remaining < budget.limit) {
        at = Math.max(at, budget.resetAt);
      }
    }
    return at;
  }

  /** Counts a call sent now. */
  take(tokens: number, now: number): void {
    if (this.#requests && this.#requests.resetAt > now) this.#requests.remaining--;
    if (this.#tokens && this.#tokens.resetAt > now) this.#tokens.remaining -= tokens;
  }

  /** Corrects the tokens counted for a call (negative: gives back). */
  adjust(tokens: number, now: number): void {
    if (this.#tokens && this.#tokens.resetAt > now) this.#tokens.remaining -= tokens;
  }

  /** What is known now, for health reports; undefined parts are unknown or past their reset. */
  snapshot(now: number): {
    requests: { limit: number | null; remaining: number; resetAt: number } | undefined;
    tokens: { limit: number | null; remaining: number; resetAt: number } | undefined;
  } {
    const view = (l: Learned | undefined) =>
      l && l.resetAt > now
        ? { limit: l.limit ?? null, remaining: Math.max(0, l.remaining), resetAt: l.resetAt }
        : undefined;
    return { requests: view(this.#requests), tokens: view(this.#tokens) };
  }
}

function learned(reading: QuotaReading, now: number): Learned {
  return { limit: reading.limit, remaining: reading.remaining, resetAt: now + reading.resetMs };
}
