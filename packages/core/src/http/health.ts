/** Health routes (`/health`, `/health/live`, `/health/ready`) and the Prometheus route. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AiClient } from '../client';
import type { HealthReport, LivenessReport, ReadinessReport } from '../health/report';
import type { HealthStatus } from '../types';
import { sendJson, sendText } from './respond';

/** A health route. */
export type HealthRouteKind = 'health' | 'live' | 'ready';

/** The metrics a client exposes when `config.metrics` is on. */
export interface MetricsRenderer {
  readonly contentType: string;
  render(): Promise<string>;
}

const NO_STORE = Object.freeze({ 'cache-control': 'no-store' });

/** The client's metrics, when it has them. */
export function metricsOf(client: AiClient): MetricsRenderer | undefined {
  const metrics = (client as { metrics?: unknown }).metrics;
  if (typeof metrics !== 'object' || metrics === null) return undefined;
  const { contentType, render } = metrics as { contentType?: unknown; render?: unknown };
  return typeof contentType === 'string' && typeof render === 'function'
    ? (metrics as MetricsRenderer)
    : undefined;
}

/** What a health route shows to a caller that is not authorized for the details: the status only. */
export type PublicHealth =
  | { status: HealthStatus }
  | { status: LivenessReport['status'] }
  | { ready: boolean };

/**
 * The report of a health route and the HTTP status it calls for (200, or 503 for `/health` when a
 * model group cannot serve and for `/health/ready` when one cannot or the client is closing).
 * `detailed` gives the whole report (deployments, providers, errors); otherwise only the status,
 * with nothing about upstreams.
 */
export function healthAnswer(
  client: AiClient,
  kind: HealthRouteKind,
  detailed: boolean,
): { httpStatus: number; body: HealthReport | LivenessReport | ReadinessReport | PublicHealth } {
  switch (kind) {
    case 'health': {
      const report = client.health();
      return { httpStatus: report.httpStatus, body: detailed ? report : { status: report.status } };
    }
    case 'live': {
      const report = client.liveness();
      return { httpStatus: report.httpStatus, body: detailed ? report : { status: report.status } };
    }
    case 'ready': {
      const report = client.readiness();
      return { httpStatus: report.httpStatus, body: detailed ? report : { ready: report.ready } };
    }
    default: {
      const never: never = kind;
      throw new TypeError(`unknown health route ${String(never)}`);
    }
  }
}

/** Answers a health route: see {@link healthAnswer}. */
export function serveHealth(
  client: AiClient,
  kind: HealthRouteKind,
  req: IncomingMessage,
  res: ServerResponse,
  detailed = false,
): void {
  const { httpStatus, body } = healthAnswer(client, kind, detailed);
  sendJson(req, res, httpStatus, body, NO_STORE);
}

/** Answers the metrics route in the Prometheus text format. */
export async function serveMetrics(
  metrics: MetricsRenderer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  sendText(req, res, 200, await metrics.render(), metrics.contentType, NO_STORE);
}
