/**
 * Active health probes: a light request to every provider (or deployment) on a timer, so a provider
 * that goes down is noticed without user traffic, and one that comes back is let in again early.
 * Probe results feed the same passive health and breakers as live traffic.
 */
import { failureFrom } from '../engine/failure';
import type { DeploymentRuntime, ProviderRuntime, Runtime } from '../engine/runtime';
import { AttemptScope, RequestScope } from '../engine/scope';
import { readJson, send } from '../engine/upstream';
import type { Classification } from '../policies/classify';
import type { ChatCall } from '../protocols/wire';
import { createRedactor, type Redactor, secretsOf } from '../redact';

/** Settings of the active prober. */
export interface ProbeOptions {
  /** Time from the end of one probe of a target to the start of the next (before jitter). */
  intervalMs: number;
  /** Time a probe may take, body included. */
  timeoutMs: number;
  /** 0..1: each wait is drawn uniformly from `intervalMs × (1 ± jitter)`. */
  jitter: number;
  /**
   * - `models`: `GET {basePath}/models` once per provider (every protocol lists its models there); the result applies to every deployment
   *   of that provider and leaves their latency figures alone.
   * - `completion`: a one-token completion per deployment, in its provider's protocol; its latency is recorded as a
   *   completion latency. Costs a few tokens per probe.
   */
  mode: 'models' | 'completion';
}

/** Largest `/models` body read before the rest is dropped. */
const MAX_MODELS_BODY = 8 * 1024 * 1024;

/** What one probe checks: a provider (models mode) or one deployment (completion mode). */
interface Target {
  readonly provider: ProviderRuntime;
  /** Deployments the result applies to. */
  readonly deployments: readonly DeploymentRuntime[];
  /** The chat request, in the provider's protocol (completion mode); undefined in models mode. */
  readonly call: ChatCall | undefined;
  /** The model the completion probe asks (completion mode). */
  readonly model: string;
  timer: NodeJS.Timeout | undefined;
  inFlight: Promise<void> | undefined;
}

/**
 * Probes providers or deployments in the background. Each target has its own timer chain: the
 * next probe is scheduled only once the previous one has settled, so probes never pile up on a
 * provider that hangs. Timers are unref'd. A failure is recorded with
 * `PassiveHealth.recordFailure` (so `unhealthyAfter` consecutive failures make a deployment
 * unhealthy), a success with `recordSuccess` (completion mode) or `recordProbeSuccess` (models
 * mode). The verdict goes to `DeploymentRuntime.recordProbe`: a failure the deployment is to blame
 * for puts it behind every healthy one until something succeeds; a success closes an open or
 * half-open breaker at once.
 *
 * In models mode a 404 or 405 says only that the provider does not list models; it is recorded
 * as nothing (use completion mode for such providers).
 */
export class ActiveProber {
  readonly #options: ProbeOptions;
  readonly #now: () => number;
  readonly #targets: readonly Target[];
  readonly #controller = new AbortController();
  readonly #redact: Redactor;
  #started = false;
  #closing: Promise<void> | undefined;

  /**
   * @param now Clock in epoch ms (default: the runtime's).
   * @throws RangeError when an option is out of range.
   */
  constructor(runtime: Runtime, options: ProbeOptions, now: () => number = () => runtime.clock.now()) {
    if (!(options.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${options.intervalMs}`);
    if (!(options.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${options.timeoutMs}`);
    if (!(options.jitter >= 0 && options.jitter <= 1)) {
      throw new RangeError(`jitter must be within 0..1, got ${options.jitter}`);
    }
    if (options.mode !== 'models' && options.mode !== 'completion') {
      throw new RangeError(`mode must be 'models' or 'completion', got ${String(options.mode)}`);
    }
    this.#options = { ...options };
    this.#now = now;
    this.#redact = createRedactor(secretsOf([...runtime.providers.values()].map((p) => p.config)));
    this.#targets = options.mode === 'models' ? byProvider(runtime) : byDeployment(runtime);
  }

  /** Starts probing; the first probe of each target comes within `intervalMs × jitter`. Idempotent. */
  start(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    const spread = this.#options.intervalMs * this.#options.jitter;
    for (const target of this.#targets) this.#schedule(target, Math.random() * spread);
  }

  /**
   * One round: probes every target not already being probed, and resolves once those probes have
   * settled and been recorded. Never rejects.
   */
  async probeOnce(): Promise<void> {
    await Promise.all(this.#targets.map((target) => this.#probe(target)));
  }

  /**
   * Clears every timer, aborts the probes in flight and resolves once they have settled (an
   * aborted probe records nothing). Idempotent. Connection pools belong to the runtime.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      for (const target of this.#targets) {
        if (target.timer) clearTimeout(target.timer);
        target.timer = undefined;
      }
      this.#controller.abort(new Error('prober closed'));
      this.#closing = Promise.all(this.#targets.map((t) => t.inFlight)).then(() => undefined);
    }
    return this.#closing;
  }

  #schedule(target: Target, delayMs: number): void {
    const timer = setTimeout(() => {
      target.timer = undefined;
      this.#probe(target).then(() => {
        if (!this.#closing) this.#schedule(target, this.#nextDelay());
      });
    }, delayMs);
    timer.unref();
    target.timer = timer;
  }

  #nextDelay(): number {
    const { intervalMs, jitter } = this.#options;
    return Math.max(0, intervalMs * (1 + jitter * (2 * Math.random() - 1)));
  }

  /** Probes `target` unless a probe of it is in flight or the prober is closed. */
  #probe(target: Target): Promise<void> {
    if (target.inFlight || this.#closing) return Promise.resolve();
    const run = this.#run(target).finally(() => {
      target.inFlight = undefined;
    });
    target.inFlight = run;
    return run;
  }

  async #run(target: Target): Promise<void> {
    const { provider } = target;
    const started = this.#now();
    const keyIndex = provider.keys.pick(started);
    // Every key is cooling down: a probe would only be refused, and says nothing new.
    if (keyIndex < 0) return;
    const scope = new RequestScope(this.#options.timeoutMs, this.#controller.signal);
    // The attempt's own clock times the probe, so that running out of time counts as a timeout.
    scope.stopDeadline();
    const attempt = new AttemptScope(scope);
    attempt.arm(this.#options.timeoutMs, 'timeout');
    let failure: Classification | undefined;
    try {
      if (target.call === undefined) {
        const response = await send(provider, keyIndex, 'GET', provider.paths.models, undefined, attempt);
        try {
          await response.body.dump({
            limit: MAX_MODELS_BODY,
            signal: attempt.signal as unknown as AbortSignal,
          });
        } catch (error) {
          throw failureFrom(error, attempt);
        }
      } else {
        const { path, body } = target.call;
        const response = await send(provider, keyIndex, 'POST', path, body, attempt);
        provider.protocol.readChat(
          await readJson(provider, response, attempt),
          target.model,
          response.statusCode,
        );
      }
    } catch (error) {
      failure = failureFrom(error, attempt).classification;
    } finally {
      attempt.dispose();
      scope.dispose();
    }
    if (this.#closing) return;
    const latencyMs = this.#now() - started;
    if (failure) this.#recordFailure(target, failure, latencyMs);
    else this.#recordSuccess(target, latencyMs);
  }

  #recordSuccess(target: Target, latencyMs: number): void {
    const completion = target.call !== undefined;
    for (const deployment of target.deployments) {
      if (completion) deployment.health.recordSuccess(latencyMs);
      else deployment.health.recordProbeSuccess();
      deployment.recordProbe(undefined);
    }
  }

  #recordFailure(target: Target, failure: Classification, latencyMs: number): void {
    if (target.call === undefined && (failure.status === 404 || failure.status === 405)) return;
    const message = this.#redact(describe(failure));
    for (const deployment of target.deployments) {
      deployment.health.recordFailure(failure.outcome, latencyMs, message);
      deployment.recordProbe(failure.outcome);
    }
  }
}

function byProvider(runtime: Runtime): Target[] {
  const targets: Target[] = [];
  for (const provider of runtime.providers.values()) {
    const deployments = [...runtime.deployments.values()].filter((d) => d.provider === provider);
    if (deployments.length === 0) continue;
    targets.push({
      provider,
      deployments,
      call: undefined,
      model: '',
      timer: undefined,
      inFlight: undefined,
    });
  }
  return targets;
}

function byDeployment(runtime: Runtime): Target[] {
  return [...runtime.deployments.values()].map((deployment) => {
    const { provider } = deployment;
    const model = deployment.config.model;
    // The smallest completion each protocol accepts, translated like live traffic.
    const call = provider.protocol.prepareChat(PING, false).call(provider.config, model);
    return { provider, deployments: [deployment], call, model, timer: undefined, inFlight: undefined };
  });
}

const PING = Object.freeze({ messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });

/** `probe: HTTP 503: <provider message>`, or `probe: <what went wrong>` without a status. */
function describe(failure: Classification): string {
  if (failure.status === undefined || failure.message.startsWith(`HTTP ${failure.status}`)) {
    return `probe: ${failure.message}`;
  }
  return `probe: HTTP ${failure.status}: ${failure.message}`;
}
