/**
 * Health reports built from the runtime state: what `/health`, `/health/live` and `/health/ready`
 * answer. They name deployments and show display URLs, never keys or URL credentials.
 */
import type { RateLimitStatus } from '../engine/rate-gate';
import type { GroupMember, Runtime } from '../engine/runtime';
import type { ShadowStatus } from '../engine/shadow';
import { effectiveWeight, healthWeight } from '../routing';
import type { CanaryStatus } from '../routing/canary';
import type { BreakerState, HealthStatus } from '../types';

export interface DeploymentHealth {
  id: string;
  provider: string;
  model: string;
  status: HealthStatus;
  /** Can take a call now (breaker lets it through, not cooling down, a key is available). */
  usable: boolean;
  breaker: BreakerState;
  score: number;
  inFlight: number;
  latencyEwmaMs: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  successRate: number | null;
  samples: number;
  consecutiveFailures: number;
  lastError: string | null;
  lastCheckedAt: string | null;
  /** ISO time a cooldown, open breaker or exhausted rate limit ends, when one is in force. */
  availableAt: string | null;
  /** Where it runs, when configured. */
  region?: string;
  /** Its rate limits (configured or learned from the provider's headers), when it has any. */
  rateLimit?: RateLimitStatus;
}

export interface ProviderHealth {
  id: string;
  /** Base URL without credentials. */
  url: string;
  status: HealthStatus;
  keys: { total: number; available: number };
  inFlight: number;
  lastError: string | null;
}

export interface ModelGroupHealth {
  name: string;
  status: HealthStatus;
  strategy: string;
  /** Deployments usable now. */
  usable: string[];
  /**
   * Weights in force, normalised to sum 1: the share of first attempts each usable deployment
   * would get from a weighted draw. Its configured weight, times its health score under the
   * `health` strategy; 0 for a deployment routing puts behind healthier ones.
   */
  weights: Record<string, number>;
  fallbacks: string[];
  deployments: string[];
  /** The group's canary: its share, state, and its calls over the rollback window. */
  canary?: CanaryStatus;
  /** The group's shadow: its sample and calls in flight. */
  shadow?: ShadowStatus;
}

export interface HealthReport {
  status: HealthStatus;
  /** The HTTP status a `/health` route should answer with. */
  httpStatus: 200 | 503;
  checkedAt: string;
  uptimeSeconds: number;
  models: ModelGroupHealth[];
  deployments: DeploymentHealth[];
  providers: ProviderHealth[];
}

export interface LivenessReport {
  status: 'ok' | 'closing';
  httpStatus: 200;
  uptimeSeconds: number;
}

export interface ReadinessReport {
  ready: boolean;
  httpStatus: 200 | 503;
  /** Per model group: usable deployments now. */
  models: Record<string, { ready: boolean; usable: number }>;
}

const WORST: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
/** Largest time a `Date` can hold (ms from the epoch). */
const MAX_TIME = 8.64e15;
/** An ISO time, or `null` for none; a time no `Date` can hold (a corrupt stored value) is `null` too, never a throw. */
const iso = (ms: number | undefined): string | null =>
  ms && Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME ? new Date(ms).toISOString() : null;
const num = (value: number | undefined): number | null =>
  value === undefined ? null : Math.round(value * 1000) / 1000;

function worst(a: HealthStatus, b: HealthStatus): HealthStatus {
  return WORST[a] >= WORST[b] ? a : b;
}

/** A deployment is usable when it could take a call now and is not known to be failing. */
function usableNow(runtime: Runtime, id: string, now: number): boolean {
  const deployment = runtime.deployments.get(id)!;
  return (
    deployment.breaker.canAttempt(now) &&
    deployment.cooldownUntil <= now &&
    !deployment.provider.keys.exhausted(now) &&
    deployment.status(now) !== 'unhealthy'
  );
}

export function buildHealthReport(runtime: Runtime, startedAt: number): HealthReport {
  const now = runtime.clock.now();
  const deployments: DeploymentHealth[] = [];
  const byProvider = new Map<string, HealthStatus>();
  for (const deployment of runtime.deployments.values()) {
    const snap = deployment.health.snapshot();
    const status = deployment.status(now);
    const availableAt = deployment.availableAt(now);
    const rateLimit = runtime.rateGate.status(deployment, now);
    const entry: DeploymentHealth = {
      id: deployment.id,
      provider: deployment.provider.config.id,
      model: deployment.config.model,
      status,
      usable: usableNow(runtime, deployment.id, now),
      breaker: deployment.breaker.state,
      score: num(snap.score) ?? 1,
      inFlight: deployment.inFlight,
      latencyEwmaMs: num(snap.latencyEwmaMs),
      latencyP50Ms: num(snap.latencyP50Ms),
      latencyP95Ms: num(snap.latencyP95Ms),
      successRate: num(snap.successRate),
      samples: snap.samples,
      consecutiveFailures: snap.consecutiveFailures,
      lastError: snap.lastError ?? null,
      lastCheckedAt: iso(snap.lastCheckedAt),
      availableAt: availableAt > now ? iso(availableAt) : null,
    };
    if (deployment.config.region !== undefined) entry.region = deployment.config.region;
    if (rateLimit) entry.rateLimit = rateLimit;
    deployments.push(entry);
    const previous = byProvider.get(deployment.provider.config.id);
    // A provider is as healthy as its healthiest deployment.
    byProvider.set(
      deployment.provider.config.id,
      previous && WORST[previous] < WORST[status] ? previous : status,
    );
  }

  const providers: ProviderHealth[] = [];
  for (const provider of runtime.providers.values()) {
    const available = provider.keys.availableCount(now);
    providers.push({
      id: provider.config.id,
      url: provider.config.displayUrl,
      status:
        provider.authFailedUntil > now ? 'unhealthy' : (byProvider.get(provider.config.id) ?? 'healthy'),
      keys: { total: provider.keys.size, available },
      inFlight: provider.inFlight,
      lastError: provider.authFailedUntil > now ? (provider.lastAuthError ?? null) : null,
    });
  }

  let overall: HealthStatus = 'healthy';
  const models: ModelGroupHealth[] = [];
  for (const group of runtime.groups.values()) {
    const usable: string[] = [];
    let groupStatus: HealthStatus = 'healthy';
    let bestTier = 3;
    for (const member of group.members) {
      if (usableNow(runtime, member.runtime.id, now)) {
        usable.push(member.runtime.id);
        bestTier = Math.min(bestTier, member.runtime.routingTier(now));
      }
      groupStatus = worst(groupStatus, member.runtime.status(now) === 'healthy' ? 'healthy' : 'degraded');
    }
    if (usable.length === 0) groupStatus = 'unhealthy';
    const weightOf = (member: GroupMember): number =>
      member.runtime.routingTier(now) !== bestTier
        ? 0
        : group.config.strategy === 'health'
          ? healthWeight(member)
          : effectiveWeight(member.deployment);
    let weightSum = 0;
    for (const member of group.members) if (usable.includes(member.runtime.id)) weightSum += weightOf(member);
    const weights: Record<string, number> = {};
    for (const member of group.members) {
      if (usable.includes(member.runtime.id)) {
        weights[member.runtime.id] = weightSum > 0 ? (num(weightOf(member) / weightSum) ?? 0) : 0;
      }
    }
    overall = worst(overall, groupStatus);
    const entry: ModelGroupHealth = {
      name: group.config.name,
      status: groupStatus,
      strategy: group.config.strategy,
      usable,
      weights,
      fallbacks: [...group.config.fallbacks],
      deployments: group.members.map((m) => m.runtime.id),
    };
    const canary = group.canary?.canary;
    if (canary) entry.canary = canary.status(now);
    if (group.shadow) entry.shadow = group.shadow.status();
    models.push(entry);
  }
  return {
    status: overall,
    httpStatus: overall === 'unhealthy' ? 503 : 200,
    checkedAt: new Date(now).toISOString(),
    uptimeSeconds: Math.round((now - startedAt) / 1000),
    models,
    deployments,
    providers,
  };
}

export function readiness(runtime: Runtime, closed: boolean): ReadinessReport {
  const now = runtime.clock.now();
  const models: ReadinessReport['models'] = {};
  let ready = !closed;
  for (const group of runtime.groups.values()) {
    let usable = 0;
    for (const member of group.members) if (usableNow(runtime, member.runtime.id, now)) usable++;
    models[group.config.name] = { ready: usable > 0, usable };
    if (usable === 0) ready = false;
  }
  return { ready, httpStatus: ready ? 200 : 503, models };
}
