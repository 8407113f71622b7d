/** Cost of a request from its token usage and the deployment's price table, and running totals. */
import type { PriceConfig, Usage } from './types';

/** USD for `usage` at `price` (USD per million tokens); undefined when either is unknown. */
export function costOf(
  usage: Usage | undefined,
  price: Readonly<PriceConfig> | undefined,
): number | undefined {
  if (!usage || !price) return undefined;
  const usd = (usage.prompt_tokens * price.input + usage.completion_tokens * price.output) / 1_000_000;
  // Twelve decimals (a millionth of a micro-dollar) keep sums exact enough and drop float noise.
  return Math.round(usd * 1e12) / 1e12;
}

export interface UsageTotals {
  requests: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface UsageReport {
  total: UsageTotals;
  /** By model group that served the request. */
  byModel: Record<string, UsageTotals>;
  /** By deployment (`provider/model`). */
  byDeployment: Record<string, UsageTotals>;
  /** Successful shadow calls, counted apart (present when a group has a shadow). */
  shadow?: Omit<UsageReport, 'shadow'>;
}

const empty = (): UsageTotals => ({ requests: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 });

/** Running totals of successful requests. */
export class UsageLedger {
  readonly #total = empty();
  readonly #byModel = new Map<string, UsageTotals>();
  readonly #byDeployment = new Map<string, UsageTotals>();

  record(group: string, deployment: string, usage: Usage | undefined, costUsd: number | undefined): void {
    add(this.#total, usage, costUsd, 1);
    add(entry(this.#byModel, group), usage, costUsd, 1);
    add(entry(this.#byDeployment, deployment), usage, costUsd, 1);
  }

  /** Tokens and cost spent by an attempt that served no request (a hedge that lost). */
  spend(group: string, deployment: string, usage: Usage | undefined, costUsd: number | undefined): void {
    add(this.#total, usage, costUsd, 0);
    add(entry(this.#byModel, group), usage, costUsd, 0);
    add(entry(this.#byDeployment, deployment), usage, costUsd, 0);
  }

  report(): UsageReport {
    return {
      total: { ...this.#total },
      byModel: Object.fromEntries([...this.#byModel].map(([k, v]) => [k, { ...v }])),
      byDeployment: Object.fromEntries([...this.#byDeployment].map(([k, v]) => [k, { ...v }])),
    };
  }
}

function entry(map: Map<string, UsageTotals>, key: string): UsageTotals {
  let totals = map.get(key);
  if (!totals) {
    totals = empty();
    map.set(key, totals);
  }
  return totals;
}

function add(
  totals: UsageTotals,
  usage: Usage | undefined,
  costUsd: number | undefined,
  requests: number,
): void {
  totals.requests += requests;
  if (usage) {
    totals.promptTokens += usage.prompt_tokens || 0;
    totals.completionTokens += usage.completion_tokens || 0;
  }
  if (costUsd) totals.costUsd += costUsd;
}
