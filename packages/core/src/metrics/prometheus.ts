/**
 * Prometheus metrics on prom-client, an optional peer dependency loaded only when metrics are
 * asked for. Counters and the latency histogram hang on the client's events; health gauges are
 * computed at scrape time, so nothing runs on the request path beyond the listeners.
 */
import type { Counter, Gauge, Registry } from 'prom-client';
import type { AiClient } from '../client';
import { metricPrefix, strictObject } from '../config/fields';
import { parseOptions } from '../config/options';
import { ConfigError } from '../errors';
import type { Disposer } from '../events';
import type { HealthReport } from '../health/report';
import { isMissingModule } from '../telemetry/optional';
import type { BreakerState, RequestReport } from '../types';
import type { PrometheusMetrics } from './public';

/** The prom-client module. */
export type PromClient = typeof import('prom-client');

/** What the metrics read: the client's events, health report and model groups (an `AiClient` fits). */
export interface MetricsSource {
  on: AiClient['on'];
  health(): HealthReport;
  /** The configured model groups: any other name a caller sends is counted as `(unknown)`. */
  readonly models: readonly string[];
}

/** The `model` label of every request naming a group that is not configured: one series, however many names. */
export const UNKNOWN_MODEL_LABEL = '(unknown)';

export interface PrometheusMetricsOptions {
  /** The app's registry (default: a new one of the metrics' own). */
  registry?: Registry;
  /** Prefix of every metric name (default `ai_`). */
  prefix?: string;
  /** The prom-client module to use (default: `require('prom-client')`). */
  promClient?: PromClient;
}

/** Seconds; LLM calls run from a fraction of a second to minutes. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60, 90, 120];

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const prefixSchema = strictObject({ prefix: metricPrefix() });

/**
 * Registers the library's metrics and keeps them current from `source`'s events:
 *
 * - `ai_requests_total{model,deployment,outcome}`: finished requests; `outcome` is `success` or
 *   the error code lowercased (`ai_all_attempts_failed`); `deployment` is the one that served,
 *   else `none`. `model` is the model group asked for, or `(unknown)` for a name that is not a
 *   configured group (so callers cannot grow the number of series).
 * - `ai_attempts_total{deployment,outcome}`, `ai_failovers_total{model,from,reason}`.
 * - `ai_hedges_total{model,deployment}`: hedges started, by the deployment raced in;
 *   `ai_hedge_wins_total{model,deployment}`: requests a hedge served.
 * - `ai_request_latency_seconds{model,outcome}`: histogram of whole-request time (a stream's
 *   until it ended).
 * - `ai_tokens_total{model,deployment,direction}` (`input` | `output`) and
 *   `ai_cost_usd_total{model,deployment}`: of successful requests, as `client.usage()` counts them.
 * - At scrape time, from `source.health()`: `ai_model_health_score{deployment}` (0..1),
 *   `ai_deployment_available{deployment}` and `ai_model_available{model}` (1 when usable now),
 *   `ai_breaker_state{deployment}` (0 closed, 1 half-open, 2 open),
 *   `ai_canary_percent{model,deployment}` (the share a canary takes now).
 * - `ai_canary_changes_total{model,deployment,action,reason}`: rollbacks (by a rule or a call),
 *   promotions and percentage changes.
 * - Shadow traffic, counted apart from the real calls: `ai_shadow_requests_total{model,deployment,outcome}`
 *   (`success` or the failure), `ai_shadow_similarity{model}` (histogram of the text similarity,
 *   0..1), `ai_shadow_latency_delta_seconds{model}` (histogram of shadow minus primary latency),
 *   `ai_shadow_tokens_total{model,deployment,direction}` and `ai_shadow_cost_usd_total{model,deployment}`.
 *
 * @throws ConfigError (path `metrics`) when prom-client is not installed, or (path
 *   `metrics.prefix`) when the prefix is not a valid metric name prefix or the registry already
 *   holds a metric of the same name.
 */
export function createPrometheusMetrics(
  source: MetricsSource,
  options: PrometheusMetricsOptions = {},
): PrometheusMetrics {
  const prom = options.promClient ?? loadPromClient();
  const prefix = options.prefix ?? 'ai_';
  parseOptions(prefixSchema, { prefix }, 'metrics');
  const registry = options.registry ?? new prom.Registry();
  const name = (suffix: string): string => prefix + suffix;
  const names = [
    'requests_total',
    'attempts_total',
    'request_latency_seconds',
    'failovers_total',
    'hedges_total',
    'hedge_wins_total',
    'tokens_total',
    'cost_usd_total',
    'model_health_score',
    'model_available',
    'deployment_available',
    'breaker_state',
    'canary_percent',
    'canary_changes_total',
    'shadow_requests_total',
    'shadow_similarity',
    'shadow_latency_delta_seconds',
    'shadow_tokens_total',
    'shadow_cost_usd_total',
  ].map(name);
  const taken = names.filter((n) => registry.getSingleMetric(n) !== undefined);
  if (taken.length > 0) {
    throw new ConfigError([
      {
        path: 'metrics.prefix',
        message: `the registry already has ${taken.join(', ')}; give each client its own prefix or registry`,
      },
    ]);
  }
  const registers = [registry];

  const requests = new prom.Counter({
    name: name('requests_total'),
    help: 'Finished LLM requests by model group, serving deployment and outcome.',
    labelNames: ['model', 'deployment', 'outcome'] as const,
    registers,
  });
  const attempts = new prom.Counter({
    name: name('attempts_total'),
    help: 'Attempts on deployments by outcome.',
    labelNames: ['deployment', 'outcome'] as const,
    registers,
  });
  const latency = new prom.Histogram({
    name: name('request_latency_seconds'),
    help: 'Whole-request latency in seconds, retries and failovers included.',
    labelNames: ['model', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const failovers = new prom.Counter({
    name: name('failovers_total'),
    help: 'Moves from a failing deployment to the next candidate.',
    labelNames: ['model', 'from', 'reason'] as const,
    registers,
  });
  const hedges = new prom.Counter({
    name: name('hedges_total'),
    help: 'Hedges started: a next candidate raced an attempt that had not answered in time.',
    labelNames: ['model', 'deployment'] as const,
    registers,
  });
  const hedgeWins = new prom.Counter({
    name: name('hedge_wins_total'),
    help: 'Requests served by a hedge rather than by the attempt it raced.',
    labelNames: ['model', 'deployment'] as const,
    registers,
  });
  const tokens = new prom.Counter({
    name: name('tokens_total'),
    help: 'Tokens of successful requests.',
    labelNames: ['model', 'deployment', 'direction'] as const,
    registers,
  });
  const cost = new prom.Counter({
    name: name('cost_usd_total'),
    help: 'Cost in USD of successful requests, from the configured prices.',
    labelNames: ['model', 'deployment'] as const,
    registers,
  });

  const health = scrapeCache(source);
  const score: Gauge<'deployment'> = new prom.Gauge({
    name: name('model_health_score'),
    help: 'Health score of each deployment, 0..1.',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      score.reset();
      for (const d of health().deployments) score.set({ deployment: d.id }, d.score);
    },
  });
  const modelAvailable: Gauge<'model'> = new prom.Gauge({
    name: name('model_available'),
    help: '1 when the model group has a usable deployment now.',
    labelNames: ['model'] as const,
    registers,
    collect() {
      modelAvailable.reset();
      for (const m of health().models) modelAvailable.set({ model: m.name }, m.usable.length > 0 ? 1 : 0);
    },
  });
  const deploymentAvailable: Gauge<'deployment'> = new prom.Gauge({
    name: name('deployment_available'),
    help: '1 when the deployment can take a call now.',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      deploymentAvailable.reset();
      for (const d of health().deployments) deploymentAvailable.set({ deployment: d.id }, d.usable ? 1 : 0);
    },
  });
  const breaker: Gauge<'deployment'> = new prom.Gauge({
    name: name('breaker_state'),
    help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
    labelNames: ['deployment'] as const,
    registers,
    collect() {
      breaker.reset();
      for (const d of health().deployments) breaker.set({ deployment: d.id }, BREAKER_VALUE[d.breaker]);
    },
  });

  const known = new Set(source.models);
  const modelLabel = (model: string): string => (known.has(model) ? model : UNKNOWN_MODEL_LABEL);
  const canaryPercent: Gauge<'model' | 'deployment'> = new prom.Gauge({
    name: name('canary_percent'),
    help: "Share (0..100) of a model group's calls that try its canary first.",
    labelNames: ['model', 'deployment'] as const,
    registers,
    collect() {
      canaryPercent.reset();
      for (const m of health().models) {
        if (m.canary) canaryPercent.set({ model: m.name, deployment: m.canary.deployment }, m.canary.percent);
      }
    },
  });
  const canaryChanges = new prom.Counter({
    name: name('canary_changes_total'),
    help: "Changes of a canary's share: rollbacks (by a rule or a call), promotions, percentages set.",
    labelNames: ['model', 'deployment', 'action', 'reason'] as const,
    registers,
  });
  const shadowRequests = new prom.Counter({
    name: name('shadow_requests_total'),
    help: 'Shadow calls compared with their primary, by outcome (success or the failure).',
    labelNames: ['model', 'deployment', 'outcome'] as const,
    registers,
  });
  const shadowSimilarity = new prom.Histogram({
    name: name('shadow_similarity'),
    help: 'Text similarity (0..1) of a shadow answer to the primary one, when both succeeded.',
    labelNames: ['model'] as const,
    buckets: [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1],
    registers,
  });
  const shadowLatencyDelta = new prom.Histogram({
    name: name('shadow_latency_delta_seconds'),
    help: 'Shadow latency minus primary latency, in seconds (negative: the shadow was faster).',
    labelNames: ['model'] as const,
    buckets: [-5, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 5, 10],
    registers,
  });
  const shadowTokens = new prom.Counter({
    name: name('shadow_tokens_total'),
    help: 'Tokens of successful shadow calls (not counted in tokens_total).',
    labelNames: ['model', 'deployment', 'direction'] as const,
    registers,
  });
  const shadowCost = new prom.Counter({
    name: name('shadow_cost_usd_total'),
    help: 'Cost in USD of successful shadow calls (not counted in cost_usd_total).',
    labelNames: ['model', 'deployment'] as const,
    registers,
  });

  const finished = (report: RequestReport, outcome: string): void => {
    const model = modelLabel(report.model);
    requests.inc({ model, deployment: report.deployment ?? 'none', outcome });
    latency.observe({ model, outcome }, report.latencyMs / 1000);
  };
  const disposers: Disposer[] = [
    source.on('attempt', ({ attempt }) =>
      attempts.inc({ deployment: attempt.deployment, outcome: attempt.outcome }),
    ),
    source.on('failover', (event) =>
      failovers.inc({ model: event.model, from: event.from, reason: event.reason }),
    ),
    source.on('hedge', (event) => hedges.inc({ model: event.model, deployment: event.deployment })),
    source.on('success', ({ report }) => {
      finished(report, 'success');
      recordSpend(tokens, cost, report);
      if (report.hedges && report.attempts.some((a) => a.hedged && a.decision === 'done')) {
        hedgeWins.inc({ model: report.model, deployment: report.deployment ?? 'none' });
      }
    }),
    source.on('requestError', ({ report, error }) => finished(report, errorOutcome(error))),
    source.on('canaryChange', (c) =>
      canaryChanges.inc({ model: c.model, deployment: c.deployment, action: c.action, reason: c.reason }),
    ),
    source.on('shadowComparison', (c) => {
      const model = c.model;
      const deployment = c.shadow.deployment ?? 'none';
      shadowRequests.inc({
        model,
        deployment,
        outcome: c.shadow.ok ? 'success' : (c.shadow.error ?? 'error'),
      });
      if (c.similarity !== null) shadowSimilarity.observe({ model }, c.similarity);
      shadowLatencyDelta.observe({ model }, c.latencyDeltaMs / 1000);
      if (!c.shadow.ok) return;
      shadowTokens.inc({ model, deployment, direction: 'input' }, nonNegative(c.shadow.promptTokens ?? 0));
      shadowTokens.inc(
        { model, deployment, direction: 'output' },
        nonNegative(c.shadow.completionTokens ?? 0),
      );
      if (c.shadow.costUsd !== null) shadowCost.inc({ model, deployment }, nonNegative(c.shadow.costUsd));
    }),
  ];

  let closed = false;
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      if (closed) return;
      closed = true;
      for (const dispose of disposers) dispose();
      for (const n of names) registry.removeSingleMetric(n);
    },
  };
}

function loadPromClient(): PromClient {
  try {
    return require('prom-client') as PromClient;
  } catch (error) {
    if (!isMissingModule(error, 'prom-client')) throw error;
    throw new ConfigError([
      {
        path: 'metrics',
        message:
          'Prometheus metrics need the optional peer dependency prom-client: install it (npm install prom-client) or turn metrics off',
      },
    ]);
  }
}

/** `source.health()`, computed once per scrape however many gauges read it. */
function scrapeCache(source: MetricsSource): () => HealthReport {
  let cached: HealthReport | undefined;
  return () => {
    if (!cached) {
      cached = source.health();
      // prom-client runs every collect() of a scrape in one synchronous pass.
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

function recordSpend(
  tokens: Counter<'model' | 'deployment' | 'direction'>,
  cost: Counter<'model' | 'deployment'>,
  report: RequestReport,
): void {
  const model = report.model;
  const deployment = report.deployment ?? 'none';
  const usage = report.usage;
  if (usage) {
    tokens.inc({ model, deployment, direction: 'input' }, nonNegative(usage.prompt_tokens));
    tokens.inc({ model, deployment, direction: 'output' }, nonNegative(usage.completion_tokens));
  }
  if (report.costUsd !== undefined) cost.inc({ model, deployment }, nonNegative(report.costUsd));
}

function nonNegative(value: number): number {
  return value > 0 && value < Number.POSITIVE_INFINITY ? value : 0;
}

/** `success`'s counterpart for a failed request: the error code lowercased, else `error`. */
function errorOutcome(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code ? code.toLowerCase() : 'error';
}
