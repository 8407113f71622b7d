/** Assembly of the resolved configuration from a validated one. */
import type {
  DeploymentConfig,
  Logger,
  RateLimitConfig,
  ResolvedConfig,
  ResolvedDeployment,
  ResolvedModelGroup,
  ResolvedProvider,
  ResolvedRateLimit,
  ResolvedTransport,
} from '../types';
import { DEFAULTS } from './defaults';
import { deepFreeze } from './freeze';
import type { ParsedConfig, ParsedModelGroup, ParsedProvider } from './schema';
import {
  resolveHealth,
  resolveHedge,
  resolveMetrics,
  resolvePolicy,
  resolveProbes,
  resolveTracing,
} from './settings';
import { splitBaseUrl } from './url';

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Builds the deeply frozen `ResolvedConfig` of a config that passed every check. `keys` holds the
 * resolved keys of each provider, by index, and `transports` how each is reached. Nothing of
 * `config` is shared with the result except the logger's methods and the app's dispatchers (kept
 * behind functions, never frozen).
 */
export function buildConfig(
  config: ParsedConfig,
  keys: readonly (readonly string[])[],
  transports: readonly ResolvedTransport[],
): ResolvedConfig {
  const health = resolveHealth(config.health);
  const providers = config.providers.map((provider, index) =>
    buildProvider(provider, keys[index] ?? [], transports[index]!, config.limits),
  );
  const byId = new Map(providers.map((provider) => [provider.id, provider]));
  const groups = Object.entries(config.models).map(([name, group]) =>
    buildGroup(name, group, health.degradedLatencyMs, byId),
  );
  const deployments = new Map<string, ResolvedDeployment>();
  for (const group of groups) {
    const routable = group.canary ? [...group.deployments, group.canary.deployment] : group.deployments;
    for (const deployment of routable) {
      if (!deployments.has(deployment.id)) deployments.set(deployment.id, deployment);
    }
  }
  const resolved: ResolvedConfig = {
    providers: byId,
    models: new Map(groups.map((group) => [group.name, group])),
    deployments,
    defaultModel: config.defaultModel ?? groups[0]!.name,
    region: config.region,
    policy: resolvePolicy(config.policy),
    health,
    probes: resolveProbes(config.probes),
    metrics: resolveMetrics(config.metrics),
    tracing: resolveTracing(config.tracing),
    logger: config.logger && bindLogger(config.logger),
  };
  return deepFreeze(resolved);
}

function buildProvider(
  provider: ParsedProvider,
  keys: readonly string[],
  transport: ResolvedTransport,
  limits: ParsedConfig['limits'],
): ResolvedProvider {
  const defaults = DEFAULTS.provider;
  const resolved = {
    id: provider.id,
    ...splitBaseUrl(provider.baseUrl),
    protocol: provider.protocol ?? defaults.protocol,
    streamUsage: provider.streamUsage ?? true,
    timeoutMs: provider.timeoutMs ?? defaults.timeoutMs,
    maxConcurrent: provider.maxConcurrent ?? defaults.maxConcurrent,
    limits: { ...DEFAULTS.limits, ...limits, ...provider.limits },
    rateLimit: rateLimit(provider.rateLimit),
    keyRateLimit: rateLimit(provider.rateLimit?.perKey),
    region: provider.region,
    transport,
  } as ResolvedProvider;
  return withSecrets(resolved, [...keys], { ...provider.headers });
}

/**
 * A resolved provider with some settings changed. Its keys and headers are carried over: a spread
 * (`{ ...provider }`) would drop them, since they are not enumerable.
 */
export function providerWith(
  provider: ResolvedProvider,
  changes: Partial<Omit<ResolvedProvider, 'keys' | 'headers'>>,
): ResolvedProvider {
  return withSecrets({ ...provider, ...changes }, provider.keys, provider.headers);
}

/**
 * Keys and headers (which may hold keys too) are not enumerable: `JSON.stringify` and
 * `util.inspect` of the resolved config never show them.
 */
function withSecrets(
  provider: Omit<ResolvedProvider, 'keys' | 'headers'>,
  keys: readonly string[],
  headers: Readonly<Record<string, string>>,
): ResolvedProvider {
  return Object.defineProperties(provider, {
    keys: { value: keys },
    headers: { value: headers },
  }) as ResolvedProvider;
}

/** Limits with at least one of rpm and tpm set, else undefined (no limit at all). */
function rateLimit(limits: RateLimitConfig | undefined): ResolvedRateLimit | undefined {
  if (limits?.rpm === undefined && limits?.tpm === undefined) return undefined;
  return { rpm: limits.rpm, tpm: limits.tpm };
}

function buildGroup(
  name: string,
  group: ParsedModelGroup,
  degradedLatencyMs: number,
  providers: ReadonlyMap<string, ResolvedProvider>,
): ResolvedModelGroup {
  const build = (deployment: DeploymentConfig, index: number): ResolvedDeployment => ({
    id: `${deployment.provider}/${deployment.model}`,
    provider: deployment.provider,
    model: deployment.model,
    weight: deployment.weight ?? DEFAULTS.deploymentWeight,
    priority: deployment.priority ?? index,
    price: deployment.price && { input: deployment.price.input, output: deployment.price.output },
    degradedLatencyMs: deployment.degradedLatencyMs ?? degradedLatencyMs,
    rateLimit: rateLimit(deployment.rateLimit),
    region: deployment.region ?? providers.get(deployment.provider)?.region,
  });
  const { canary, shadow } = group;
  const shadowDeployment = shadow && build(shadow.deployment, 0);
  return {
    name,
    strategy: group.strategy ?? DEFAULTS.strategy,
    deployments: group.deployments.map(build),
    fallbacks: [...(group.fallbacks ?? [])],
    contextFallback: group.contextFallback,
    canary: canary && {
      deployment: build(canary.deployment, -1),
      percent: canary.percent,
      rollback: canary.rollback === false ? undefined : { ...DEFAULTS.canaryRollback, ...canary.rollback },
    },
    shadow: shadow &&
      shadowDeployment && {
        deployment: shadowDeployment,
        percent: shadow.percent,
        maxConcurrent: shadow.maxConcurrent ?? DEFAULTS.shadowMaxConcurrent,
        timeoutMs: shadow.timeoutMs ?? providers.get(shadowDeployment.provider)!.timeoutMs,
      },
    hedge: resolveHedge(group.hedge),
  };
}

/** A logger of our own whose methods call the user's, bound to it (the user's object stays unfrozen). */
function bindLogger(logger: Logger): Logger {
  const bound: Logger = {};
  for (const method of LOGGER_METHODS) {
    const fn = logger[method];
    if (typeof fn === 'function') bound[method] = fn.bind(logger);
  }
  return bound;
}
