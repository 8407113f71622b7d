/**
 * Live state of providers and deployments: pools, keys, breakers, passive health, in-flight counts
 * and cooldowns. Built once from the resolved config; shared by every request.
 */
import type { Dispatcher } from 'undici';
import { type Clock, systemClock } from '../clock';
import { providerWith } from '../config/build';
import type { Events } from '../events';
import { PassiveHealth } from '../health/passive';
import { BucketRotation, countsForBreaker, DeploymentBreaker } from '../policies/breaker';
import { KeyPool } from '../policies/keys';
import { protocolOf, type WireProtocol } from '../protocols';
import { openAiPaths, type ProtocolPaths } from '../protocols/openai';
import { createStrategy, type RoutingStrategy } from '../routing';
import { type CanaryChange, CanaryController } from '../routing/canary';
import { createDispatcher } from '../transport/dispatcher';
import type {
  AttemptOutcome,
  HealthStatus,
  ResolvedConfig,
  ResolvedDeployment,
  ResolvedModelGroup,
  ResolvedProvider,
  StateChange,
} from '../types';
import { RateGate } from './rate-gate';
import { ShadowRunner } from './shadow';
import { SlotQueue } from './slots';

export class ProviderRuntime {
  readonly config: ResolvedProvider;
  /** What its calls go through (a pool of the client's, a proxy agent, or the app's dispatcher). */
  readonly dispatcher: Dispatcher;
  /** True when the client created the dispatcher, and so closes it. */
  readonly ownsDispatcher: boolean;
  readonly keys: KeyPool;
  /** The provider's wire protocol: headers, request and answer translation, error classification. */
  readonly protocol: WireProtocol;
  /** Models and embeddings paths (chat paths come from the protocol, per model). */
  readonly paths: ProtocolPaths;
  /** Request headers per key index. */
  readonly headers: readonly Readonly<Record<string, string>>[];
  inFlight = 0;
  /** Callers waiting for one of the `maxConcurrent` slots, woken as calls end. */
  readonly slots = new SlotQueue();
  /** Until when the provider refused every key (401/403); 0 when not. */
  authFailedUntil = 0;
  lastAuthError: string | undefined;

  constructor(config: ResolvedProvider) {
    this.config = config;
    const { dispatcher, owned } = createDispatcher(config);
    this.dispatcher = dispatcher;
    this.ownsDispatcher = owned;
    this.keys = new KeyPool(config.keys);
    this.protocol = protocolOf(config.protocol);
    this.paths = openAiPaths(config);
    this.headers = this.protocol.headers(config);
  }

  get saturated(): boolean {
    return this.inFlight >= this.config.maxConcurrent;
  }

  /** A call in flight ended: its slot goes to a waiting caller, if any. */
  release(): void {
    this.inFlight--;
    if (this.slots.size > 0) this.slots.release(this.#free);
  }

  readonly #free = (): boolean => !this.saturated;
}

export class DeploymentRuntime {
  readonly config: ResolvedDeployment;
  readonly id: string;
  readonly provider: ProviderRuntime;
  readonly health: PassiveHealth;
  readonly breaker: DeploymentBreaker;
  inFlight = 0;
  /** A deployment-wide cooldown (epoch ms), e.g. after a long Retry-After on a keyless provider. */
  cooldownUntil = 0;
  /**
   * Until when (epoch ms) the last call refused by the rate-limit gate would have had to wait; 0
   * when none was. Not part of `usable()`: budgets depend on a call's size, so each call asks the
   * gate itself; this says when a deferred call may try again.
   */
  rateLimitedUntil = 0;
  /** The last active probe found it failing, and nothing has succeeded since. */
  probeDown = false;
  /** How long a deployment found failing is kept back before a live call checks it again. */
  readonly #recheckMs: number;

  constructor(
    config: ResolvedDeployment,
    provider: ProviderRuntime,
    health: PassiveHealth,
    breaker: DeploymentBreaker,
    recheckMs: number,
  ) {
    this.config = config;
    this.id = config.id;
    this.provider = provider;
    this.health = health;
    this.breaker = breaker;
    this.#recheckMs = recheckMs;
  }

  /** A live attempt that `breaker.begin()` let through succeeded. */
  recordSuccess(ticket: number, latencyMs: number, now: number): void {
    this.health.recordSuccess(latencyMs);
    this.breaker.record(ticket, 'success', now);
    this.probeDown = false;
  }

  /** A live attempt failed (`message` free of secrets). */
  recordFailure(
    ticket: number,
    outcome: AttemptOutcome,
    latencyMs: number,
    message: string | undefined,
    now: number,
  ): void {
    this.health.recordFailure(outcome, latencyMs, message);
    this.breaker.record(ticket, outcome, now);
  }

  /**
   * A live attempt was cancelled because another one of the same call answered first. It says
   * nothing to the breaker. Overtaken (it had started first and still lost), it was slower than
   * the hedge delay and than another deployment: health counts it as a timeout, so a deployment
   * that keeps losing races is put behind like one that times out.
   */
  recordCancelled(ticket: number, overtaken: boolean, latencyMs: number, now: number): void {
    this.breaker.record(ticket, 'aborted', now);
    if (overtaken) this.health.recordFailure('timeout', latencyMs, 'overtaken by a hedge');
  }

  /**
   * An active probe's verdict (its health sample is recorded by the prober): a success closes the
   * breaker and clears a probe's down mark; a failure the deployment is to blame for marks it down,
   * so routing tries it last until something succeeds.
   */
  recordProbe(failure: AttemptOutcome | undefined): void {
    if (failure === undefined) {
      this.breaker.recordProbe(true);
      this.probeDown = false;
    } else if (countsForBreaker(failure)) {
      this.breaker.recordProbe(false);
      this.probeDown = true;
    }
  }

  /** Read by the health strategy: 0..1, see `PassiveHealth.score`. */
  get healthScore(): number {
    return this.health.score;
  }

  /**
   * Where routing puts it within its group: 0 healthy, 1 degraded, 2 unhealthy.
   * - Unhealthy: a failed active probe (until something succeeds), a provider refusing every key,
   *   or `health.unhealthyAfter` failures in a row.
   * - Degraded: slow (latency EWMA above `degradedLatencyMs`).
   * A verdict of live traffic holds for `breaker.resetTimeoutMs` after its last sample, or until
   * its breaker goes half-open if that comes first (the breaker's period runs on a real timer);
   * then the deployment ranks as healthy again, so that one live call checks it. A deployment that
   * fails now and then is not put behind (its success rate recovers over a whole window, far too
   * slowly for a gate): the `health` strategy draws it less often instead.
   */
  routingTier(now: number): 0 | 1 | 2 {
    if (this.probeDown || this.provider.authFailedUntil > now) return 2;
    const health = this.health;
    const unhealthy = health.status === 'unhealthy';
    if (!unhealthy && !((health.latencyEwmaMs ?? 0) > this.config.degradedLatencyMs)) return 0;
    if (now - health.lastCheckedAt >= this.#recheckMs || this.breaker.state === 'half-open') return 0;
    return unhealthy ? 2 : 1;
  }

  /** Read by the routing strategies. */
  get latencyEwmaMs(): number | undefined {
    return this.health.latencyEwmaMs;
  }

  /** Whether an attempt may start now. */
  usable(now: number): boolean {
    return (
      this.breaker.canAttempt(now) &&
      this.cooldownUntil <= now &&
      !this.provider.keys.exhausted(now) &&
      !this.provider.saturated
    );
  }

  /** Unusable now only because its provider has no free slot: a release will let it through. */
  waitsForSlot(now: number): boolean {
    return (
      this.provider.saturated &&
      this.breaker.canAttempt(now) &&
      this.cooldownUntil <= now &&
      !this.provider.keys.exhausted(now)
    );
  }

  /** Earliest time (epoch ms) this deployment may be usable again; ≤ now when it is. */
  availableAt(now: number): number {
    let at = Math.max(this.cooldownUntil, this.rateLimitedUntil, this.provider.keys.availableAt());
    if (!this.breaker.canAttempt(now)) at = Math.max(at, this.breaker.reopensAt || now + 50);
    if (this.provider.saturated) at = Math.max(at, now + 10);
    return at;
  }

  /** Health status with breaker, key and probe state folded in. */
  status(now: number): HealthStatus {
    if (this.breaker.state === 'open') return 'unhealthy';
    if (this.provider.authFailedUntil > now || this.probeDown) return 'unhealthy';
    const passive = this.health.status;
    if (passive === 'healthy' && this.breaker.state === 'half-open') return 'degraded';
    return passive;
  }
}

/** One routing entry per model group: its deployments (with per-group weights) and its strategy. */
export interface GroupRuntime {
  readonly config: ResolvedModelGroup;
  readonly members: readonly GroupMember[];
  readonly strategy: RoutingStrategy;
  /** The group's canary, tried first by the calls it picks. */
  readonly canary: GroupMember | undefined;
  /** Mirrors a sample of the group's calls to its shadow deployment. */
  readonly shadow: ShadowRunner | undefined;
}

/** A deployment as a member of one group (the group's weight and price apply). */
export interface GroupMember {
  /** The group this membership belongs to. */
  readonly group: string;
  readonly deployment: ResolvedDeployment;
  readonly runtime: DeploymentRuntime;
  readonly inFlight: number;
  readonly latencyEwmaMs: number | undefined;
  /** Set on the group's canary: watches its calls. */
  readonly canary?: CanaryController;
  readonly healthScore: number;
}

function member(
  group: string,
  deployment: ResolvedDeployment,
  runtime: DeploymentRuntime,
  canary?: CanaryController,
): GroupMember {
  return {
    group,
    deployment,
    runtime,
    canary,
    get inFlight() {
      return runtime.inFlight;
    },
    get latencyEwmaMs() {
      return runtime.health.latencyEwmaMs;
    },
    get healthScore() {
      return runtime.health.score;
    },
  };
}

export class Runtime {
  readonly providers = new Map<string, ProviderRuntime>();
  readonly deployments = new Map<string, DeploymentRuntime>();
  readonly groups = new Map<string, GroupRuntime>();
  /** Client-side rate limits of every deployment. */
  readonly rateGate: RateGate;
  /** What every duration, cooldown and breaker period is read from. */
  readonly clock: Clock;
  readonly #events: Events;
  /** True while a change learned elsewhere is applied: it is not announced again. */
  #applying = false;
  #closed = false;

  /** @param random uniform draws in [0, 1) for the routing strategies */
  constructor(
    config: ResolvedConfig,
    events: Events,
    clock: Clock = systemClock,
    random: () => number = Math.random,
  ) {
    this.#events = events;
    this.clock = clock;
    const now = () => clock.now();
    // One rotation of the breakers' rolling windows for all of them: no timer per breaker.
    const rotation = new BucketRotation(config.policy.breaker.rollingWindowMs, clock);

    for (const provider of config.providers.values()) {
      this.providers.set(provider.id, new ProviderRuntime(provider));
    }
    for (const deployment of config.deployments.values()) {
      const provider = this.providers.get(deployment.provider)!;
      const id = deployment.id;
      const health = new PassiveHealth(
        { ...config.health, degradedLatencyMs: deployment.degradedLatencyMs },
        now,
      );
      const breaker = new DeploymentBreaker(
        config.policy.breaker,
        clock,
        {
          onOpen: (until) => {
            events.emit('breakerOpen', { deployment: id, state: 'open' });
            this.#announce({ kind: 'breaker', deployment: id, state: 'open', until });
          },
          onHalfOpen: () => events.emit('breakerHalfOpen', { deployment: id, state: 'half-open' }),
          onClose: () => {
            events.emit('breakerClose', { deployment: id, state: 'closed' });
            this.#announce({ kind: 'breaker', deployment: id, state: 'closed' });
          },
        },
        rotation,
      );
      health.onStatusChange((status, previous) =>
        events.emit('healthChange', { deployment: id, status, previous }),
      );
      this.deployments.set(
        id,
        new DeploymentRuntime(deployment, provider, health, breaker, config.policy.breaker.resetTimeoutMs),
      );
    }
    for (const group of config.models.values()) {
      const { canary, shadow } = group;
      this.groups.set(group.name, {
        config: group,
        members: group.deployments.map((d) => member(group.name, d, this.deployments.get(d.id)!)),
        strategy: createStrategy(group.strategy, { random }),
        canary:
          canary &&
          member(
            group.name,
            canary.deployment,
            this.deployments.get(canary.deployment.id)!,
            new CanaryController(
              group.name,
              canary.deployment.id,
              canary.percent,
              canary.rollback,
              (change) => this.#canaryChanged(change),
            ),
          ),
        shadow:
          shadow &&
          new ShadowRunner(
            group.name,
            shadow,
            new ProviderRuntime(
              providerWith(config.providers.get(shadow.deployment.provider)!, {
                maxConcurrent: shadow.maxConcurrent,
              }),
            ),
            (comparison) => events.emit('shadowComparison', comparison),
          ),
      });
    }
    this.rateGate = new RateGate(this.deployments.values(), config.policy.learnRateLimits);
  }

  #canaryChanged(change: CanaryChange): void {
    this.#events.emit('canaryChange', change);
  }

  /**
   * Cools a key down (a keyless provider: the deployment) until `until`; after a 401/403 that
   * leaves the provider without a usable key, marks the provider refused.
   */
  coolDown(
    deployment: DeploymentRuntime,
    keyIndex: number,
    until: number,
    reason: 'rate_limited' | 'auth',
    message?: string,
  ): void {
    const provider = deployment.provider;
    const keyless = provider.keys.size === 0;
    if (keyless) deployment.cooldownUntil = Math.max(deployment.cooldownUntil, until);
    else provider.keys.coolDown(keyIndex, until);
    if (reason === 'auth' && (keyless || provider.keys.exhausted(this.clock.now()))) {
      provider.authFailedUntil = Math.max(provider.keys.availableAt(), deployment.cooldownUntil);
      if (message !== undefined) provider.lastAuthError = message;
    }
    this.#announce({
      kind: 'cooldown',
      provider: provider.config.id,
      key: keyless ? null : (provider.keys.fingerprints[keyIndex] ?? null),
      deployment: deployment.id,
      until,
      reason,
    });
  }

  /**
   * Applies a change learned elsewhere (another replica). Unknown deployments, providers and keys
   * are ignored: replicas may run different configs. Returns whether anything was applied.
   */
  apply(change: StateChange): boolean {
    const deployment = this.deployments.get(change.deployment);
    if (!deployment || this.#closed) return false;
    this.#applying = true;
    try {
      if (change.kind === 'breaker') return deployment.breaker.applyShared(change.state, change.until);
      if (change.until <= this.clock.now()) return false;
      const provider = deployment.provider;
      if (provider.config.id !== change.provider) return false;
      const keyIndex = change.key === null ? 0 : provider.keys.fingerprints.indexOf(change.key);
      if (keyIndex < 0 || (change.key === null) !== (provider.keys.size === 0)) return false;
      this.coolDown(deployment, keyIndex, change.until, change.reason);
      return true;
    } finally {
      this.#applying = false;
    }
  }

  #announce(change: StateChange): void {
    if (!this.#applying && this.#events.has('stateChange')) this.#events.emit('stateChange', change);
  }

  /** Shuts the breakers down (their reset timers) and closes every pool. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const deployment of this.deployments.values()) deployment.breaker.shutdown();
    await Promise.all([
      ...[...this.providers.values()]
        .filter((p) => p.ownsDispatcher)
        .map((p) => p.dispatcher.close().catch(() => p.dispatcher.destroy())),
      ...[...this.groups.values()].map((g) => g.shadow?.close()),
    ]);
  }
}
