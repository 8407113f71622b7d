/**
 * Shadow traffic: a sample of a group's calls is sent, beside the real call, to a shadow
 * deployment, and the two answers are compared (latency, tokens, cost, success, text similarity).
 * The caller only ever gets the primary's answer: the shadow has its own connections, its own
 * timeout and a cap on calls in flight (a call over the cap is not mirrored, never queued), and
 * nothing of it is awaited by the primary.
 */
import { costOf } from '../cost';
import { Unsupported } from '../protocols/wire';
import type { ChatRequest, ResolvedDeployment, Usage } from '../types';
import { AttemptFailure } from './failure';
import type { ProviderRuntime } from './runtime';
import { AttemptScope, RequestScope } from './scope';
import { MAX_COMPARED_CHARS, textSimilarity } from './similarity';
import { readJson, send } from './upstream';

/** One side of a comparison. */
export interface ShadowSide {
  /** `provider/model`; `null` for a primary that no deployment served. */
  deployment: string | null;
  ok: boolean;
  latencyMs: number;
  promptTokens: number | null;
  completionTokens: number | null;
  costUsd: number | null;
  /** Why it failed (an outcome such as `timeout`, or an error code); null on success. */
  error: string | null;
}

/** A call and its shadow, side by side. */
export interface ShadowComparison {
  requestId: string;
  /** The model group. */
  model: string;
  primary: ShadowSide;
  shadow: ShadowSide;
  /** Text similarity of the two answers, 0..1; null unless both succeeded. */
  similarity: number | null;
  /** Shadow latency minus primary latency (ms). */
  latencyDeltaMs: number;
}

/** A shadow as health reports show it. */
export interface ShadowStatus {
  deployment: string;
  percent: number;
  inFlight: number;
  maxConcurrent: number;
  /** Shadow calls started. */
  started: number;
  /**
   * Sampled calls not mirrored: `maxConcurrent` shadow calls were in flight, every key of the
   * shadow's provider was cooling down, or its protocol cannot express the request.
   */
  skipped: number;
}

export interface ShadowSettings {
  readonly deployment: ResolvedDeployment;
  readonly percent: number;
  readonly maxConcurrent: number;
  readonly timeoutMs: number;
}

/** What the primary call ended with. */
export interface PrimaryOutcome {
  readonly deployment: string | undefined;
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly usage: Usage | undefined;
  readonly costUsd: number | undefined;
  readonly text: string | undefined;
  readonly error: string | undefined;
}

interface ShadowResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  readonly usage: Usage | undefined;
  readonly text: string | undefined;
  readonly error: string | undefined;
}

/** The shadow of one group: samples calls and runs their shadows. */
export class ShadowRunner {
  readonly group: string;
  readonly settings: ShadowSettings;
  readonly #provider: ProviderRuntime;
  readonly #onCompared: (comparison: ShadowComparison) => void;
  readonly #inFlight = new Set<RequestScope>();
  #started = 0;
  #skipped = 0;
  #closed = false;

  /**
   * @param provider the shadow deployment's provider, with connections of its own (as many as
   *   shadow calls may be in flight): shadows never take a connection from real calls (unless the
   *   app gave the provider a dispatcher of its own, which they then share).
   */
  constructor(
    group: string,
    settings: ShadowSettings,
    provider: ProviderRuntime,
    onCompared: (comparison: ShadowComparison) => void,
  ) {
    this.group = group;
    this.settings = settings;
    this.#provider = provider;
    this.#onCompared = onCompared;
  }

  /** Whether this call is in the sample (before the concurrency cap). */
  samples(random: () => number): boolean {
    const percent = this.settings.percent;
    return percent >= 100 || (percent > 0 && random() * 100 < percent);
  }

  /**
   * Starts the shadow of a sampled call now, with the caller's request (not streamed, without its
   * `model`), translated for the shadow's protocol. Returns what the primary reports to when it
   * ends, or undefined when the call is not mirrored.
   */
  start(requestId: string, request: ChatRequest): ShadowPair | undefined {
    if (this.#closed) return undefined;
    const keyIndex = this.#provider.keys.pick(Date.now());
    if (this.#inFlight.size >= this.settings.maxConcurrent || keyIndex < 0) {
      this.#skipped++;
      return undefined;
    }
    let call: { path: string; body: string };
    try {
      const prepared = this.#provider.protocol.prepareChat(request, false);
      call = prepared.call(this.#provider.config, this.settings.deployment.model);
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      this.#skipped++;
      return undefined;
    }
    this.#started++;
    const pair = new ShadowPair(requestId, this);
    void this.#run(keyIndex, call).then((result) => pair.shadowDone(result));
    return pair;
  }

  status(): ShadowStatus {
    return {
      deployment: this.settings.deployment.id,
      percent: this.settings.percent,
      inFlight: this.#inFlight.size,
      maxConcurrent: this.settings.maxConcurrent,
      started: this.#started,
      skipped: this.#skipped,
    };
  }

  /** Aborts the shadow calls in flight and closes the shadow's connections. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const scope of this.#inFlight) scope.abort('closed');
    const provider = this.#provider;
    if (provider.ownsDispatcher) await provider.dispatcher.close().catch(() => provider.dispatcher.destroy());
  }

  /** @internal Called by a pair once both sides are known. */
  compare(requestId: string, primary: PrimaryOutcome, shadow: ShadowResult): void {
    const deployment = this.settings.deployment;
    const cost = costOf(shadow.usage, deployment.price);
    const both = primary.ok && shadow.ok;
    this.#onCompared({
      requestId,
      model: this.group,
      primary: {
        deployment: primary.deployment ?? null,
        ok: primary.ok,
        latencyMs: primary.latencyMs,
        promptTokens: primary.usage?.prompt_tokens ?? null,
        completionTokens: primary.usage?.completion_tokens ?? null,
        costUsd: primary.costUsd ?? null,
        error: primary.error ?? null,
      },
      shadow: {
        deployment: deployment.id,
        ok: shadow.ok,
        latencyMs: shadow.latencyMs,
        promptTokens: shadow.usage?.prompt_tokens ?? null,
        completionTokens: shadow.usage?.completion_tokens ?? null,
        costUsd: cost ?? null,
        error: shadow.error ?? null,
      },
      similarity: both ? textSimilarity(primary.text ?? '', shadow.text ?? '') : null,
      latencyDeltaMs: shadow.latencyMs - primary.latencyMs,
    });
  }

  async #run(keyIndex: number, call: { path: string; body: string }): Promise<ShadowResult> {
    const started = Date.now();
    const scope = new RequestScope(this.settings.timeoutMs, undefined);
    const attempt = new AttemptScope(scope);
    this.#inFlight.add(scope);
    try {
      const provider = this.#provider;
      const response = await send(provider, keyIndex, 'POST', call.path, call.body, attempt);
      const answer = provider.protocol.readChat(
        await readJson(provider, response, attempt),
        this.settings.deployment.model,
        response.statusCode,
      );
      const content = answer.choices?.[0]?.message?.content;
      return {
        ok: true,
        latencyMs: Date.now() - started,
        usage: answer.usage,
        text: typeof content === 'string' ? content.slice(0, MAX_COMPARED_CHARS) : '',
        error: undefined,
      };
    } catch (error) {
      const outcome =
        scope.cause === 'deadline'
          ? 'timeout'
          : error instanceof AttemptFailure
            ? error.classification.outcome
            : 'connection_error';
      return failed(started, scope.cause === 'closed' ? 'aborted' : outcome);
    } finally {
      attempt.dispose();
      scope.dispose();
      this.#inFlight.delete(scope);
    }
  }
}

function failed(started: number, error: string): ShadowResult {
  return { ok: false, latencyMs: Date.now() - started, usage: undefined, text: undefined, error };
}

/** A call and its shadow: compared once both have ended, whichever ends last. */
export class ShadowPair {
  readonly #requestId: string;
  readonly #runner: ShadowRunner;
  #primary: PrimaryOutcome | undefined;
  #shadow: ShadowResult | undefined;

  constructor(requestId: string, runner: ShadowRunner) {
    this.#requestId = requestId;
    this.#runner = runner;
  }

  /** The primary call ended; the comparison runs later, off the caller's path. */
  primaryDone(outcome: PrimaryOutcome): void {
    if (this.#primary) return;
    this.#primary = outcome;
    if (this.#shadow) setImmediate(() => this.#compare());
  }

  /** @internal */
  shadowDone(result: ShadowResult): void {
    this.#shadow = result;
    if (this.#primary) this.#compare();
  }

  #compare(): void {
    this.#runner.compare(this.#requestId, this.#primary!, this.#shadow!);
  }
}
