/**
 * The client an app calls instead of a provider SDK. It owns the runtime state (pools, breakers,
 * health) and turns each call into a failover plan run by the executor.
 */
import { type Clock, systemClock } from './clock';
import { DEFAULTS, resolveConfig } from './config';
import { resolveHedge } from './config/settings';
import { costOf, UsageLedger, type UsageReport } from './cost';
import { KEEP_TEXT, keepText } from './engine/answer-text';
import { type Admit, type Executed, type ExecuteRequest, Executor, type Loser } from './engine/executor';
import { AttemptFailure } from './engine/failure';
import { LazyTokenEstimate } from './engine/rate-gate';
import { type GroupMember, Runtime } from './engine/runtime';
import { ActiveRequests, type AttemptScope, RequestScope } from './engine/scope';
import type { ShadowComparison, ShadowPair } from './engine/shadow';
import type { AbortLike } from './engine/signal';
import { ChatStream, type OpenedStream, openStream, type StreamEnd } from './engine/stream';
import { requestWhole } from './engine/upstream';
import {
  AbortError,
  AiFailoverError,
  ClientClosedError,
  ConfigError,
  InternalError,
  InvalidRequestError,
  UnknownModelError,
  UnsupportedFeatureError,
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
import { createScrubber } from './http/context';
import type { Scrubber } from './http/problem';
import { createPrometheusMetrics, type PrometheusMetricsOptions } from './metrics/prometheus';
import type { PrometheusMetrics } from './metrics/public';
import { badResponse } from './policies/classify';
import type { RateLimitStore } from './policies/rate-limit';
import { withModel } from './protocols/openai';
import { type PreparedChat, Unsupported } from './protocols/wire';
import { createRedactor, type Redactor, secretsOf } from './redact';
import type { CanaryController } from './routing/canary';
import type { Operation } from './telemetry/channels';
import { createTracing, type TracingOptions } from './telemetry/otel';
import { Telemetry } from './telemetry/request-trace';
import type {
  AiFailoverConfig,
  CallOptions,
  ChatCompletion,
  ChatRequest,
  ChatResult,
  EmbeddingsRequest,
  EmbeddingsResponse,
  EmbeddingsResult,
  Protocol,
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

/** What a hedge that lost spent: its own usage when it answered anyway, else the prompt it was sent. */
interface Spent {
  readonly member: GroupMember;
  /** The key it was sent with. */
  readonly keyIndex: number;
  readonly usage: Usage | undefined;
}
const NOTHING_SPENT: readonly Spent[] = Object.freeze([]);
let sequence = 0;
const idPrefix = `afo_${process.pid.toString(36)}${Date.now().toString(36)}_`;

/** Options of the client itself, apart from its config. */
export interface AiClientOptions {
  /**
   * What cooldowns, breaker periods, health and durations are read from (default: a monotonic
   * clock on the epoch scale). A test can pass a clock it moves forward instead of sleeping.
   */
  clock?: Clock;
  /** Uniform draws in [0, 1) for backoff jitter and random routing (default `Math.random`). */
  random?: () => number;
}

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
  /** Scrubs what a stream's `event: error` tells the HTTP client: keys, upstream URLs, hosts, addresses. */
  readonly #scrub: Scrubber;
  readonly #ledger = new UsageLedger();
  /** Calls in progress, drained by `close()`. */
  readonly #active = new ActiveRequests();
  /** The longest cooldown this config sets (auth, rate limit, an upstream's wait). */
  readonly #longestCooldownMs: number;
  /** Spend of shadow calls, kept apart from the real calls'. */
  readonly #shadowLedger = new UsageLedger();
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #prober: ActiveProber | undefined;
  readonly #telemetry: Telemetry;
  /** Prometheus metrics (`render()` gives the text to serve), when `config.metrics` is on. */
  readonly metrics: PrometheusMetrics | undefined;
  #started = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Validates the config (throws `ConfigError` listing every problem) and builds the runtime. */
  constructor(config: AiFailoverConfig, options: AiClientOptions = {}) {
    this.config = resolveConfig(config);
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = this.#clock.now();
    const random = options.random ?? Math.random;
    const logger = this.config.logger;
    this.#redact = createRedactor(secretsOf(this.config.providers.values()));
    const { authCooldownMs, rateLimitCooldownMs } = this.config.policy;
    this.#longestCooldownMs = Math.max(
      authCooldownMs,
      rateLimitCooldownMs,
      ...[...this.config.providers.values()].map((p) => p.limits.retryAfterMs),
    );
    this.#scrub = createScrubber(this);
    this.#events = new Events((error, event) =>
      logger?.error?.('ai-failover event listener threw', { event, error: this.#redact(String(error)) }),
    );
    this.#runtime = new Runtime(this.config, this.#events, this.#clock, random);
    this.#executor = new Executor(
      this.#runtime,
      this.config.policy,
      this.#events,
      this.#redact,
      random,
      DEFAULTS.hedgeMinSamples,
    );
    if (logger) this.#wireLogger();
    if ([...this.config.models.values()].some((group) => group.shadow)) {
      this.#events.on('shadowComparison', (c) => this.#recordShadow(c));
    }
    const { probes, metrics, tracing } = this.config;
    let otel: ReturnType<typeof createTracing>;
    try {
      if (probes) this.#prober = new ActiveProber(this.#runtime, probes);
      if (metrics) {
        this.metrics = createPrometheusMetrics(this, {
          prefix: metrics.prefix,
          registry: metrics.registry?.() as PrometheusMetricsOptions['registry'],
        });
      }
      if (tracing) {
        otel = createTracing({ tracer: tracing.tracer?.() as TracingOptions['tracer'] });
        if (!otel) {
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
    this.#telemetry = new Telemetry(otel);
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
    const chat = new Translation(request, false);
    const keep = (options as { [KEEP_TEXT]?: boolean })[KEEP_TEXT] === true;
    return this.#callJson<ChatCompletion>(
      'chat',
      request,
      options,
      async (member, keyIndex, attempt) => {
        const provider = member.runtime.provider;
        const { path, body } = chat.call(member);
        const { statusCode, text } = await requestWhole(provider, keyIndex, 'POST', path, body, attempt);
        const parsed = parseAnswer(text, statusCode);
        const answer = provider.protocol.readChat(parsed, member.deployment.model, statusCode);
        if (keep && answer === parsed) keepText(answer, text);
        return answer;
      },
      (body) => body.usage,
      chat.admit,
      textOf,
    );
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
    const call = this.#begin(options, 'chat', true, request);
    const wantsUsage = request.stream_options?.include_usage === true;
    const keep = (options as { [KEEP_TEXT]?: boolean })[KEEP_TEXT] === true;
    const chat = new Translation(request, true);
    const clocks = this.config.policy.stream;
    const shadow = this.#startShadow(call, request);
    let executed: Executed<OpenedStream>;
    try {
      executed = await this.#executor.execute(
        call,
        (member, keyIndex, attempt, timeoutMs) => {
          const provider = member.runtime.provider;
          const decoder = provider.protocol.streamDecoder(member.deployment.model, keep);
          const call = chat.call(member);
          return openStream(provider, keyIndex, call, decoder, attempt, clocks, timeoutMs, this.#redact);
        },
        { admit: chat.admit, discard: (opened) => opened.reader.destroy() },
      );
    } catch (error) {
      call.scope.dispose();
      throw this.#fail(call, error, shadow);
    }
    call.scope.stopDeadline();
    const { member, value, attempt, keyIndex } = executed;
    const spent = spentBy(executed.losers, () => undefined);
    call.report.timeToFirstTokenMs = call.scope.elapsed();
    const responseModel = value.buffered[0]?.model;
    if (typeof responseModel === 'string') call.report.responseModel = responseModel;
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
          const report = this.#failStream(call, member, end);
          shadow?.primaryDone(primaryOutcome(report, false, end.text, errorCode(end.error)));
          return report;
        }
        const report = this.#succeed(call, member, end.usage, keyIndex, spent);
        shadow?.primaryDone(primaryOutcome(report, true, end.text, undefined));
        return report;
      },
      this.#scrub,
      shadow !== undefined,
    );
  }

  /** Embeddings, with the same failover plan. */
  async embeddings(request: EmbeddingsRequest, options: CallOptions = NO_OPTIONS): Promise<EmbeddingsResult> {
    validateEmbeddingsRequest(request);
    const keep = (options as { [KEEP_TEXT]?: boolean })[KEEP_TEXT] === true;
    const { model: _model, ...rest } = request;
    const base = serializable(() => JSON.stringify(rest));
    return this.#callJson<EmbeddingsResponse>(
      'embeddings',
      request,
      options,
      async (member, keyIndex, attempt) => {
        const provider = member.runtime.provider;
        const body = withModel(base, member.deployment.model);
        const path = provider.paths.embeddings;
        const { statusCode, text } = await requestWhole(provider, keyIndex, 'POST', path, body, attempt);
        const answer = parseAnswer(text, statusCode) as EmbeddingsResponse | null;
        if (!answer || typeof answer !== 'object' || !Array.isArray(answer.data)) {
          throw new AttemptFailure(badResponse('response has no `data` array', statusCode));
        }
        if (keep) keepText(answer, text);
        return answer;
      },
      ({ usage }) =>
        usage
          ? { prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens }
          : undefined,
      admitEmbeddings,
    );
  }

  /**
   * A non-streaming call: one JSON request per attempt, under the per-attempt timeout. With
   * `textOf` (a chat), a sampled call is mirrored to the group's shadow and compared on that text.
   */
  async #callJson<T extends object>(
    operation: Operation,
    request: ChatRequest | EmbeddingsRequest,
    options: CallOptions,
    attemptOnce: (member: GroupMember, keyIndex: number, attempt: AttemptScope) => Promise<T>,
    usageOf: (body: T) => Usage | undefined,
    admit: Admit,
    textOf?: (body: T) => string | undefined,
  ): Promise<{ response: T; report: RequestReport }> {
    const call = this.#begin(options, operation, false, request);
    const shadow = textOf ? this.#startShadow(call, request as ChatRequest) : undefined;
    try {
      const executed = await this.#executor.execute(
        call,
        (member, keyIndex, attempt, timeoutMs) => {
          attempt.arm(timeoutMs, 'timeout');
          return attemptOnce(member, keyIndex, attempt);
        },
        { admit },
      );
      executed.attempt.dispose();
      const responseModel = (executed.value as { model?: unknown }).model;
      if (typeof responseModel === 'string') call.report.responseModel = responseModel;
      const spent = spentBy(executed.losers, usageOf);
      const report = this.#succeed(call, executed.member, usageOf(executed.value), executed.keyIndex, spent);
      shadow?.primaryDone(primaryOutcome(report, true, textOf?.(executed.value), undefined));
      return { response: executed.value, report };
    } catch (error) {
      throw this.#fail(call, error, shadow);
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
      const latest = this.#clock.now() + this.#longestCooldownMs;
      if (change.until > latest) return this.#runtime.apply({ ...change, until: latest });
    }
    return this.#runtime.apply(change);
  }

  /**
   * Sends every call of group `model` to its canary first, for good: the rollback rules no longer
   * apply. To make it permanent, move the canary into the group's deployments in the config.
   */
  promote(model: string): void {
    this.#canary(model).promote(this.#clock.now());
  }

  /** Sends no call of group `model` to its canary (until `setCanaryPercent`). */
  rollback(model: string): void {
    this.#canary(model).rollback(this.#clock.now());
  }

  /** Sets the share (0..100) of group `model`'s calls that try its canary first; rearms the rollback rules. */
  setCanaryPercent(model: string, percent: number): void {
    if (typeof percent !== 'number' || !(percent >= 0 && percent <= 100)) {
      throw new InvalidRequestError(`must be a number from 0 to 100, got ${String(percent)}`, 'percent');
    }
    this.#canary(model).setPercent(percent, this.#clock.now());
  }

  /**
   * Keeps the rate-limit windows in `store` (e.g. Redis, shared by every replica) instead of in this
   * process; `undefined` goes back to this process's own. Used by `@ai-failover/redis`.
   */
  useRateLimitStore(store: RateLimitStore | undefined): void {
    this.#runtime.rateGate.useStore(store);
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
      uptimeSeconds: Math.round((this.#clock.now() - this.#startedAt) / 1000),
    };
  }

  /** Ready when every model group has a usable deployment (for a readiness probe). */
  readiness(): ReadinessReport {
    return readiness(this.#runtime, this.#closed);
  }

  /** Token and cost totals of successful requests; those of shadow calls apart, under `shadow`. */
  usage(): UsageReport {
    const report = this.#ledger.report();
    if (this.#events.has('shadowComparison')) report.shadow = this.#shadowLedger.report();
    return report;
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
      await this.#runtime.close();
      this.#events.clear();
    })();
    return this.#closing;
  }

  #begin(options: CallOptions, operation: Operation, stream: boolean, request: object): Call {
    if (this.#closed) throw new ClientClosedError();
    if (options !== NO_OPTIONS) validateOptions(options);
    const model = options.model ?? this.config.defaultModel;
    const group = this.config.models.get(model);
    const scope = new RequestScope(
      options.deadlineMs ?? this.config.policy.deadlineMs,
      options.signal,
      (options as { boundSignal?: AbortLike }).boundSignal,
      this.#clock,
      this.#active,
    );
    const attempts: RequestReport['attempts'] = [];
    const requestId = idPrefix + (++sequence).toString(36);
    const report: RequestReport = { requestId, model, attempts, failovers: 0, latencyMs: 0 };
    if (options.metadata) report.metadata = options.metadata;
    const hedge =
      options.hedge === undefined
        ? group?.hedge
        : options.hedge === false
          ? undefined
          : resolveHedge(options.hedge);
    return {
      requestId,
      model,
      hedge,
      fallbacks: options.fallbacks ?? group?.fallbacks ?? [],
      affinityKey: options.affinityKey,
      retries: options.retries ?? this.config.policy.retries,
      timeoutMs: options.timeoutMs,
      scope,
      attempts,
      report,
      region: options.region ?? this.config.region,
      tokens: new LazyTokenEstimate(request),
      trace: this.#telemetry.request(requestId, operation, model, stream, request),
    };
  }

  #canary(model: string): CanaryController {
    const group = this.#runtime.groups.get(model);
    if (!group) throw new UnknownModelError(model, this.models);
    const controller = group.canary?.canary;
    if (!controller) throw new InvalidRequestError(`model group "${model}" has no canary`, 'model');
    return controller;
  }

  /** Starts the shadow of a call the group's sample takes; undefined when none (or it cannot take the request). */
  #startShadow(call: Call, request: ChatRequest): ShadowPair | undefined {
    const runner = this.#runtime.groups.get(call.model)?.shadow;
    if (!runner?.samples(Math.random)) return undefined;
    const { stream: _stream, stream_options: _options, model: _model, ...plain } = request;
    return runner.start(call.requestId, plain as ChatRequest);
  }

  #recordShadow(c: ShadowComparison): void {
    if (!c.shadow.ok) return;
    const prompt = c.shadow.promptTokens ?? 0;
    const completion = c.shadow.completionTokens ?? 0;
    const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
    this.#shadowLedger.record(c.model, c.shadow.deployment ?? 'none', usage, c.shadow.costUsd ?? undefined);
  }

  /** Fills what a served call's report says of who served it. */
  #served(call: Call, member: GroupMember, usage: Usage | undefined): RequestReport {
    const report = call.report;
    report.deployment = member.runtime.id;
    report.provider = member.runtime.provider.config.id;
    report.servedBy = member.group;
    report.latencyMs = call.scope.elapsed();
    report.failovers = countFailovers(report);
    const hedges = countHedges(report);
    if (hedges > 0) report.hedges = hedges;
    if (usage) report.usage = usage;
    const region = member.deployment.region;
    if (region !== undefined) report.region = region;
    if (call.region !== undefined && region !== call.region) report.crossedRegion = true;
    if (member.canary) report.canary = true;
    return report;
  }

  /**
   * Fills the report of a served call; its cost counts what hedges that lost spent too. The
   * rate-limit budgets charged with estimated tokens are corrected with the usage each answer gave.
   */
  #succeed(
    call: Call,
    member: GroupMember,
    usage: Usage | undefined,
    keyIndex: number,
    spent: readonly Spent[],
  ): RequestReport {
    const report = this.#served(call, member, usage);
    if (call.tokens.counted) {
      const now = this.#clock.now();
      const gate = this.#runtime.rateGate;
      const estimated = call.tokens.tokens;
      if (usage) gate.settle(member.runtime, keyIndex, estimated, usage.total_tokens, now);
      for (const { member: lost, keyIndex: lostKey, usage: lostUsage } of spent) {
        if (lostUsage) gate.settle(lost.runtime, lostKey, estimated, lostUsage.total_tokens, now);
      }
    }
    let cost = costOf(usage, member.deployment.price);
    this.#ledger.record(member.group, member.runtime.id, usage, cost);
    for (const loser of spent) {
      const used = loser.usage ?? promptOnly(usage);
      const lost = costOf(used, loser.member.deployment.price);
      if (lost !== undefined) cost = (cost ?? 0) + lost;
      this.#ledger.spend(loser.member.group, loser.member.runtime.id, used, lost);
    }
    if (cost !== undefined) report.costUsd = cost;
    if (this.#events.has('success')) this.#events.emit('success', { requestId: call.requestId, report });
    call.trace?.end(report, undefined);
    return report;
  }

  #failStream(call: Call, member: GroupMember, end: StreamEnd): RequestReport {
    const report = this.#served(call, member, end.usage);
    if (end.error instanceof AiFailoverError) {
      end.error.requestId ??= call.requestId;
      end.error.report ??= report;
    }
    if (this.#events.has('requestError')) {
      this.#events.emit('requestError', {
        requestId: call.requestId,
        model: call.model,
        error: end.error!,
        report,
      });
    }
    call.trace?.end(report, end.error);
    return report;
  }

  #fail(call: Call, error: unknown, shadow?: ShadowPair): Error {
    const report = call.report;
    report.latencyMs = call.scope.elapsed();
    report.failovers = countFailovers(report);
    const hedges = countHedges(report);
    if (hedges > 0) report.hedges = hedges;
    const typed =
      error instanceof AiFailoverError
        ? error
        : new InternalError(this.#redact(error instanceof Error ? error.message : String(error)), error);
    typed.requestId ??= call.requestId;
    typed.report ??= report;
    shadow?.primaryDone(primaryOutcome(report, false, undefined, typed.code.toLowerCase()));
    if (this.#events.has('requestError')) {
      this.#events.emit('requestError', {
        requestId: call.requestId,
        model: call.model,
        error: typed,
        report,
      });
    }
    call.trace?.end(report, typed);
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
export function createAiClient(config: AiFailoverConfig, options?: AiClientOptions): AiClient {
  return new AiClient(config, options);
}

/** What a shadow is compared with: the primary's report and answer text. */
function primaryOutcome(
  report: RequestReport,
  ok: boolean,
  text: string | undefined,
  error: string | undefined,
) {
  return {
    deployment: report.deployment,
    ok,
    latencyMs: report.latencyMs,
    usage: report.usage,
    costUsd: report.costUsd,
    text,
    error,
  };
}

/** The text of a chat completion's first choice. */
function textOf(answer: ChatCompletion): string | undefined {
  const content = answer.choices?.[0]?.message?.content;
  return typeof content === 'string' ? content : undefined;
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code.toLowerCase() : 'error';
}

function countFailovers(report: RequestReport): number {
  let n = 0;
  for (const a of report.attempts) if (a.decision === 'failover') n++;
  return n;
}

function countHedges(report: RequestReport): number {
  let n = 0;
  for (const a of report.attempts) if (a.hedged) n++;
  return n;
}

/** The hedges that lost, with their own usage when they answered anyway. */
function spentBy<T>(losers: readonly Loser<T>[], usageOf: (value: T) => Usage | undefined): readonly Spent[] {
  if (losers.length === 0) return NOTHING_SPENT;
  return losers.map((loser) => ({
    member: loser.member,
    keyIndex: loser.keyIndex,
    usage: loser.value === undefined ? undefined : usageOf(loser.value),
  }));
}

/** A cancelled attempt was sent the same prompt: at least that is billed. */
function promptOnly(usage: Usage | undefined): Usage | undefined {
  return (
    usage && { prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.prompt_tokens }
  );
}

/**
 * A chat request translated lazily, once per protocol the plan reaches: a request that only ever
 * meets OpenAI-compatible deployments is serialized once, as before any translation existed.
 */
class Translation {
  readonly #request: ChatRequest;
  readonly #streaming: boolean;
  readonly #prepared: Partial<Record<Protocol, PreparedChat | Unsupported>> = {};

  constructor(request: ChatRequest, streaming: boolean) {
    this.#request = request;
    this.#streaming = streaming;
  }

  /** Throws `UnsupportedFeatureError` when the member's protocol cannot express the request. */
  readonly admit = (member: GroupMember): void => {
    const prepared = this.#of(member);
    if (prepared instanceof Unsupported) {
      throw new UnsupportedFeatureError(
        prepared.field,
        prepared.message,
        member.runtime.provider.protocol.name,
        member.runtime.id,
      );
    }
  };

  /** The attempt's path and body (the member was admitted). */
  call(member: GroupMember): { path: string; body: string } {
    const prepared = this.#of(member) as PreparedChat;
    return serializable(() => prepared.call(member.runtime.provider.config, member.deployment.model));
  }

  #of(member: GroupMember): PreparedChat | Unsupported {
    const protocol = member.runtime.provider.protocol;
    let prepared = this.#prepared[protocol.name];
    if (prepared === undefined) {
      try {
        prepared = serializable(() => protocol.prepareChat(this.#request, this.#streaming));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        prepared = error;
      }
      this.#prepared[protocol.name] = prepared;
    }
    return prepared;
  }
}

/** A 2xx JSON body; one that is not JSON is a failed attempt. */
function parseAnswer(text: string, status: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AttemptFailure(badResponse('response body is not valid JSON', status));
  }
}

/** Embeddings go only to protocols that serve them. */
function admitEmbeddings(member: GroupMember): void {
  const protocol = member.runtime.provider.protocol;
  if (!protocol.embeddings) {
    throw new UnsupportedFeatureError(
      'input',
      'embeddings cannot be requested',
      protocol.name,
      member.runtime.id,
    );
  }
}

/**
 * Runs a serialization of the caller's request; one that cannot be done (nested too deeply, a
 * cycle, a BigInt) is the caller's fault, an `InvalidRequestError`.
 */
function serializable<T>(serialize: () => T): T {
  try {
    return serialize();
  } catch (error) {
    if (!(error instanceof RangeError || error instanceof TypeError)) throw error;
    const reason =
      error instanceof RangeError
        ? 'is nested too deeply'
        : `cannot be serialized as JSON: ${(error as Error).message}`;
    throw new InvalidRequestError(reason, 'request');
  }
}
