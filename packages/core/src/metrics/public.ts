/**
 * The public face of the Prometheus metrics, typed without prom-client: it is an optional peer
 * dependency, so declarations an app compiles against must not import it (an app without it,
 * checking libraries' declarations, would fail to resolve the module).
 */

/**
 * The prom-client `Registry` the metrics are on, as far as these types go. It is the real
 * registry: cast it to prom-client's `Registry` for the rest of its methods.
 */
export interface MetricsRegistry {
  /** Content-Type of {@link MetricsRegistry.metrics}'s text. */
  readonly contentType: string;
  /** Every metric of the registry in the Prometheus text format. */
  metrics(): Promise<string>;
  /** One metric in the Prometheus text format. */
  getSingleMetricAsString(name: string): Promise<string>;
}

export interface PrometheusMetrics {
  /** The registry the metrics are on. */
  readonly registry: MetricsRegistry;
  /** Content-Type of {@link PrometheusMetrics.render}'s text. */
  readonly contentType: string;
  /** The registry's metrics in the Prometheus text format (the whole registry, app metrics too). */
  render(): Promise<string>;
  /** Removes the event listeners and this instance's metrics from the registry. Idempotent. */
  close(): void;
}
