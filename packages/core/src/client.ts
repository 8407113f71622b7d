/**
 * The client an app calls instead of a provider SDK. It owns the runtime state (pools, breakers,
 * health) and turns each call into a failover plan run by the executor.
 */
import { resolveConfig } from './config';
import { costOf, UsageLedger, type UsageReport } from './cost';
import { type Executed, type ExecuteRequest, Executor } from './engine/executor';
import { AttemptFailure } from './engine/failure';
import { type GroupMember, Runtime } from './engine/runtime';
import { ActiveRequests, RequestScope } from './engine/scope';
import { ChatStream, type OpenedStream, openStream, type StreamEnd } from './engine/stream';
import { readJson, send } from './engine/upstream';
import {
  AbortError,
  AiFailoverError,
  ClientClosedError,
  ConfigError,
  InternalError,
  InvalidRequestError,
} from './errors';
import { type AiFailoverEvents, type Disposer, type EventName, Events } from './events';
import { ActiveProber } from './health/probes';
import {
  buildHealthReport,
  type HealthReport,
  type LivenessReport,
  type ReadinessReport,
  readiness,
} from './health/report';
import {
  createPrometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './metrics/prometheus';
import { badResponse } from './policies/classify';
import { createRedactor, type Redactor, secretsOf } from './redact';
import { createTracing, type Tracing, type TracingOptions } from './telemetry/otel';
import type {
  AiFailoverConfig,
  CallOptions,
  ChatCompletion,
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbeddingsResult,
  RequestReport,
  ResolvedConfig,
  StateChange,
  Usage,
} from './types';
import { validateChatRequest, validateEmbeddingsRequest, validateOptions } from './validate';

const NO_OPTIONS: CallOptions = Object.freeze({});

/** Default time `close()` lets calls in flight finish before it aborts them. */
export const DEFAULT_DRAIN_MS = 10_000;

/** Options of {@link AiClient.close}. */
export interface CloseOptions {
  /**
   * How long calls in flight (streams included) may run on before they are aborted with
   * `ClientClosedError` (default 10 000 ms). No call starts a new attempt or wait meanwhile.
   */
  drainMs?: number;
}

/** One call in progress: the executor's request plus the report being built. */
type Call = ExecuteRequest & { report: RequestReport };
let sequence = 0;
const idPrefix = `afo_${process.pid.toString(36)}${Date.now().toString(36)}_`;

/** The methods a request-bound client offers (`req.ai`, `ctx.ai`). */
export interface AiCaller {
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>;
  chatStream(request: ChatRequest, options?: CallOptions): Promise<ChatStream<RequestReport>>;
  embeddings(request: EmbeddingsRequest, options?: CallOptions): Promise<EmbeddingsResult>;
}

export class AiClient implements AiCaller {
  readonly config: ResolvedConfig;
  readonly #events: Events;
  readonly #runtime: Runtime;
  readonly #executor: Executor;
  readonly #redact: Redactor;
  readonly #ledger = new UsageLedger();
  /** Calls in progress, drained by `close()`. */
  readonly #active = new ActiveRequests();
  readonly #startedAt = Date.now();
  readonly #prober: ActiveProber | undefined;
  readonly #tracing: Tracing | undefined;
  /** Prometheus metrics (`render()` gives the text to serve), when `config.metrics` is on. */
  readonly metrics: PrometheusMetrics | undefined;
  /** The longest cooldown this config sets (auth, rate limit, an upstream's wait). */
  readonly #longestCooldownMs: number;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Validates the config (throws `ConfigError` listing every problem) and builds the runtime. */
  constructor(config: AiFailoverConfig) {
    this.config = resolveConfig(config);
    const logger = this.config.logger;
    this.#redact = createRedactor(secretsOf(this.config.providers.values()));
    this.#events = new Events((error, event) =>
      logger?.error?.('ai-failover event listener threw', { event, error: this.#redact(String(error)) }),
    );
    this.#runtime = new Runtime(this.config, this.#events);
    const { authCooldownMs, rateLimitCooldownMs } = this.config.policy;
    this.#longestCooldownMs = Math.max(
      authCooldownMs,
      rateLimitCooldownMs,
      ...[...this.config.providers.values()].map((p) => p.limits.retryAfterMs),
    );
    this.#executor = new Executor(this.#runtime, this.config.policy, this.#events, this.#redact);
    if (logger) this.#wireLogger();
    const { probes, metrics, tracing } = this.config;
    try {
      if (probes) this.#prober = new ActiveProber(this.#runtime, probes);
      if (metrics) {
        this.metrics = createPrometheusMetrics(this, {
          prefix: metrics.prefix,
          registry: metrics.registry?.() as PrometheusMetricsOptions['registry'],
        });
      }
      if (tracing) {
        this.#tracing = createTracing(this, { tracer: tracing.tracer?.() as TracingOptions['tracer'] });
        if (!this.#tracing) {
          throw new ConfigError([
            { path: 'tracing', message: 'needs @opentelemetry/api: npm install @opentelemetry/api' },
          ]);
        }
      }
    } catch (error) {
      void this.#runtime.close();
      this.metrics?.close();
      throw error;
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Names of the configured model groups. */
  get models(): string[] {
    return [...this.config.models.keys()];
  }

  /** Subscribes to an event; returns a disposer. */
  on<K extends EventName>(event: K, listener: (payload: AiFailoverEvents[K]) => void): Disposer {
    return this.#events.on(event, listener);
  }

  /** One chat completion, failing over as needed. */
  async chat(request: ChatRequest, options: CallOptions = NO_OPTIONS): Promise<ChatResult> {
    validateChatRequest(request, false);
    return this.#callJson<ChatCompletion>(request, options, 'chat', 'choices', (body) => body.usage);
  }

  /**
   * A streaming chat completion. Resolves once the first content chunk is in hand, so every
   * failover happens before the caller has seen anything; after that the stream never restarts.
   */
  async chatStream(
    request: ChatRequest,
    options: CallOptions = NO_OPTIONS,
  ): Promise<ChatStream<RequestReport>> {
    validateChatRequest(request, true);
    const base = serialize(request, true);
    const call = this.#begin(options);
    const wantsUsage = request.stream_options?.include_usage === true;
    const clocks = this.config.policy.stream;
    let executed: Executed<OpenedStream>;
    try {
      executed = await this.#executor.execute(call, (member, keyIndex, attempt, timeoutMs) =>
        openStream(
          member.runtime.provider,
          keyIndex,
          withModel(base, member.deployment.model),
          attempt,
          clocks,
          timeoutMs,
          this.#redact,
        ),
      );
    } catch (error) {
      call.scope.dispose();
      throw this.#fail(call, error);
    }
    call.scope.stopDeadline();
    const { member, value, attempt } = executed;
    call.report.timeToFirstTokenMs = call.scope.elapsed();
    return new ChatStream(
      call.requestId,
      call.attempts,
      member.runtime.id,
      value,
      attempt,
      call.scope,
      wantsUsage,
      (end: StreamEnd) => {
        if (end.error) {
          if (!(end.error instanceof AbortError || end.error instanceof ClientClosedError)) {
            member.runtime.health.recordFailure('stream_stalled', undefined, this.#redact(end.error.message));
          }
          return this.#failStream(call, member, end);
        }
        return this.#succeed(call, member, end.usage);
      },
    );
  }

  /** Embeddings, with the same failover plan. */
  async embeddings(request: EmbeddingsRequest, options: CallOptions = NO_OPTIONS): Promise<EmbeddingsResult> {
    validateEmbeddingsRequest(request);
    return this.#callJson<EmbeddingsResponse>(request, options, 'embeddings', 'data', ({ usage }) =>
      usage
        ? { prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens }
        : undefined,
    );
  }

  /** A non-streaming call: one JSON request per attempt, the answer must carry an array in `field`. */
  async #callJson<T extends object>(
    request: ChatRequest | EmbeddingsRequest,
    options: CallOptions,
    endpoint: 'chat' | 'embeddings',
    field: 'choices' | 'data',
    usageOf: (body: T) => Usage | undefined,
  ): Promise<{ response: T; report: RequestReport }> {
    const base = serialize(request, false);
    const call = this.#begin(options);
    try {
      const executed = await this.#executor.execute(call, async (member, keyIndex, attempt, timeoutMs) => {
        attempt.arm(timeoutMs, 'timeout');
        const provider = member.runtime.provider;
        const body = withModel(base, member.deployment.model);
        const response = await send(provider, keyIndex, 'POST', provider.paths[endpoint], body, attempt);
        const answer = (await readJson(provider, response, attempt)) as T | null;
        if (
          !answer ||
          typeof answer !== 'object' ||
          !Array.isArray((answer as Record<string, unknown>)[field])
        ) {
          throw new AttemptFailure(badResponse(`response has no \`${field}\` array`, response.statusCode));
        }
        return answer;
      });
      executed.attempt.dispose();
      const report = this.#succeed(call, executed.member, usageOf(executed.value));
      return { response: executed.value, report };
    } catch (error) {
      throw this.#fail(call, error);
    } finally {
      call.scope.dispose();
    }
  }

  /** A client whose calls carry these defaults (an HTTP request's signal, model, affinity key). */
  bind(defaults: CallOptions): AiCaller {
    validateOptions(defaults);
    const merge = (options: CallOptions | undefined): CallOptions & { boundSignal?: AbortSignal } =>
      options
        ? { ...defaults, ...options, signal: options.signal, boundSignal: defaults.signal }
        : { ...defaults, signal: undefined, boundSignal: defaults.signal };
    return {
      chat: (request, options) => this.chat(request, merge(options)),
      chatStream: (request, options) => this.chatStream(request, merge(options)),
      embeddings: (request, options) => this.embeddings(request, merge(options)),
    };
  }

  /**
   * Applies what another replica learned (a `stateChange` event of its client): an opened or
   * closed breaker, a key or deployment cooling down. Returns false for what does not apply here.
   */
  applyStateChange(change: StateChange): boolean {
    const until = change.until;
    if (until !== undefined && !(Number.isFinite(until) && until >= 0)) return false;
    if (change.kind === 'cooldown') {
      // No cooldown learned elsewhere lasts longer than one this client could set itself.
      const latest = Date.now() + this.#longestCooldownMs;
      if (change.until > latest) return this.#runtime.apply({ ...change, until: latest });
    }
    return this.#runtime.apply(change);
  }

  /** Full health report: overall, per provider, deployment and model group. No secrets. */
  health(): HealthReport {
    return buildHealthReport(this.#runtime, this.#startedAt);
  }

  /** The process is up (for a liveness probe). */
  liveness(): LivenessReport {
    return {
      status: this.#closed ? 'closing' : 'ok',
      httpStatus: 200,
      uptimeSeconds: Math.round((Date.now() - this.#startedAt) / 1000),
    };
  }

  /** Ready when every model group has a usable deployment (for a readiness probe). */
  readiness(): ReadinessReport {
    return readiness(this.#runtime, this.#closed);
  }

  /** Token and cost totals of successful requests. */
  usage(): UsageReport {
    return this.#ledger.report();
  }

  /** Starts background work (active health probes, when configured). Idempotent. */
  async start(): Promise<void> {
    if (this.#closed) throw new ClientClosedError();
    if (this.#started) return;
    this.#started = true;
    this.#prober?.start();
  }

  /**
   * Closes the client. At once: readiness answers 503 and new calls fail with `ClientClosedError`;
   * calls in flight start no new attempt or wait (they end with `ClientClosedError` instead) and get
   * `drainMs` to finish, then are aborted. Then background work stops and every connection closes.
   * Idempotent; a later call with a shorter `drainMs` brings the abort forward.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
    if (typeof drainMs !== 'number' || !(drainMs >= 0) || drainMs === Number.POSITIVE_INFINITY) {
      return Promise.reject(
        new InvalidRequestError(
          `must be a non-negative number of milliseconds, got ${String(drainMs)}`,
          'drainMs',
        ),
      );
    }
    this.#closed = true;
    const drained = this.#active.drain(drainMs);
    this.#closing ??= (async () => {
      const probes = this.#prober?.close();
      await drained;
      await probes;
      this.metrics?.close();
      this.#tracing?.close();
      await this.#runtime.close();
      this.#events.clear();
    })();
    return this.#closing;
  }

  #begin(options: CallOptions): Call {
    if (this.#closed) throw new ClientClosedError();
    if (options !== NO_OPTIONS) validateOptions(options);
    const model = options.model ?? this.config.defaultModel;
    const group = this.config.models.get(model);
    const scope = new RequestScope(
      options.deadlineMs ?? this.config.policy.deadlineMs,
      options.signal,
      (options as { boundSignal?: AbortSignal }).boundSignal,
      this.#active,
    );
    const attempts: RequestReport['attempts'] = [];
    const requestId = idPrefix + (++sequence).toString(36);
    const report: RequestReport = { requestId, model, attempts, failovers: 0, latencyMs: 0 };
    if (options.metadata) report.metadata = options.metadata;
    return {
      requestId,
      model,
      fallbacks: options.fallbacks ?? group?.fallbacks ?? [],
      affinityKey: options.affinityKey,
      retries: options.retries ?? this.config.policy.retries,
      timeoutMs: options.timeoutMs,
      scope,
      attempts,
      report,
    };
  }

  /** Fills what a served call's report says of who served it. */
  #served(call: Call, member: GroupMember, usage: Usage | undefined): RequestReport {
    const report = call.report;
    report.deployment = member.runtime.id;
    report.provider = member.runtime.provider.config.id;
    report.servedBy = member.group;
    report.latencyMs = call.scope.elapsed();
    report.failovers = countFailovers(report);
    if (usage) report.usage = usage;
    return report;
  }

  #succeed(call: Call, member: GroupMember, usage: Usage | undefined): RequestReport {
    const report = this.#served(call, member, usage);
    const cost = costOf(usage, member.deployment.price);
    if (cost !== undefined) report.costUsd = cost;
    this.#ledger.record(member.group, member.runtime.id, usage, cost);
    if (this.#events.has('success')) this.#events.emit('success', { requestId: call.requestId, report });
    return report;
  }

  #failStream(call: Call, member: GroupMember, end: StreamEnd): RequestReport {
    const report = this.#served(call, member, end.usage);
    if (this.#events.has('requestError')) {
      this.#events.emit('requestError', {
        requestId: call.requestId,
        model: call.model,
        error: end.error!,
        report,
      });
    }
    return report;
  }

  #fail(call: Call, error: unknown): Error {
    const report = call.report;
    report.latencyMs = call.scope.elapsed();
    report.failovers = countFailovers(report);
    const typed =
      error instanceof AiFailoverError
        ? error
        : new InternalError(this.#redact(error instanceof Error ? error.message : String(error)), error);
    typed.requestId ??= call.requestId;
    if (this.#events.has('requestError')) {
      this.#events.emit('requestError', {
        requestId: call.requestId,
        model: call.model,
        error: typed,
        report,
      });
    }
    return typed;
  }

  #wireLogger(): void {
    const logger = this.config.logger!;
    this.#events.on('attempt', ({ requestId, attempt }) => {
      if (attempt.outcome === 'success')
        logger.debug?.('ai-failover attempt succeeded', { requestId, ...attempt });
      else logger.warn?.('ai-failover attempt failed', { requestId, ...attempt });
    });
    this.#events.on('breakerOpen', (e) => logger.warn?.('ai-failover breaker opened', { ...e }));
    this.#events.on('breakerClose', (e) => logger.info?.('ai-failover breaker closed', { ...e }));
    this.#events.on('healthChange', (e) => logger.info?.('ai-failover health changed', { ...e }));
  }
}

/** Creates a client; the config is validated now (a `ConfigError` names every bad field). */
export function createAiClient(config: AiFailoverConfig): AiClient {
  return new AiClient(config);
}

function countFailovers(report: RequestReport): number {
  let n = 0;
  for (const a of report.attempts) if (a.decision === 'failover') n++;
  return n;
}

/**
 * Serializes the request once without its `model`; each attempt prefixes its deployment's model.
 * A request that cannot be serialized (nested too deeply, a cycle, a BigInt) is the caller's fault.
 */
function serialize(request: ChatRequest | EmbeddingsRequest, streaming: boolean): string {
  const { model: _model, ...rest } = request;
  if (streaming) {
    rest.stream = true;
    rest.stream_options = { ...(request.stream_options as object | undefined), include_usage: true };
  }
  try {
    return JSON.stringify(rest);
  } catch (error) {
    const reason =
      error instanceof RangeError
        ? 'is nested too deeply'
        : `cannot be serialized as JSON: ${(error as Error).message}`;
    throw new InvalidRequestError(reason, 'request');
  }
}

function withModel(base: string, model: string): string {
  return base.length > 2
    ? `{"model":${JSON.stringify(model)},${base.slice(1)}`
    : `{"model":${JSON.stringify(model)}}`;
}
