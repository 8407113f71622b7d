/** Health routes (`/health`, `/health/live`, `/health/ready`) and the Prometheus route. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AiClient } from '../client';
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

/** Answers a health route with the client's report and the status it calls for. */
export function serveHealth(
  client: AiClient,
  kind: HealthRouteKind,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const report =
    kind === 'health' ? client.health() : kind === 'live' ? client.liveness() : client.readiness();
  sendJson(req, res, report.httpStatus, report, NO_STORE);
}

/** Answers the metrics route in the Prometheus text format. */
export async function serveMetrics(
  metrics: MetricsRenderer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  sendText(req, res, 200, await metrics.render(), metrics.contentType, NO_STORE);
}
