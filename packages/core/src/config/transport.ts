/**
 * How each provider is reached: the app's dispatcher, the proxy of the environment, or a pool of
 * the client's own. The environment is read once, here, so a bad proxy variable fails at start-up.
 */
import type { ConfigIssue } from '../errors';
import type { ResolvedTransport } from '../types';
import { formatPath } from './paths';
import type { ParsedConfig, ParsedProvider } from './schema';

/** The proxy variables of the environment, lower-case names first, as curl and undici read them. */
interface ProxyEnv {
  readonly httpProxy: string | undefined;
  readonly httpsProxy: string | undefined;
  readonly noProxy: string;
}

/** The transport of each provider of a validated config, in config order. */
export function resolveTransports(
  config: ParsedConfig,
  env: NodeJS.ProcessEnv,
  issues: ConfigIssue[],
): ResolvedTransport[] {
  const direct = config.providers.some((provider) => !(provider.dispatcher ?? config.dispatcher));
  const proxies = direct && config.proxyFromEnv !== false ? readProxyEnv(env, issues) : undefined;
  return config.providers.map((provider, index) =>
    transportOf(provider, config, proxies, ['providers', index], issues),
  );
}

function transportOf(
  provider: ParsedProvider,
  config: ParsedConfig,
  proxies: ProxyEnv | undefined,
  path: readonly PropertyKey[],
  issues: ConfigIssue[],
): ResolvedTransport {
  const dispatcher = provider.dispatcher ?? config.dispatcher;
  const ca =
    provider.ca === undefined
      ? undefined
      : typeof provider.ca === 'string'
        ? [provider.ca]
        : [...provider.ca];
  if (dispatcher) {
    if (ca) {
      const whose = provider.dispatcher ? 'its' : "the config's";
      issues.push({
        path: formatPath([...path, 'ca']),
        message: `has no effect with ${whose} dispatcher: give the certificates to the dispatcher (connect: { ca })`,
      });
    }
    return { kind: 'dispatcher', dispatcher: () => dispatcher };
  }
  const https = provider.baseUrl.toLowerCase().startsWith('https:');
  const proxy = proxies && (https ? (proxies.httpsProxy ?? proxies.httpProxy) : proxies.httpProxy);
  if (proxy === undefined) return { kind: 'direct', ca };
  return { kind: 'proxy', ...proxies!, ca };
}

/** The proxy variables, each checked to be an http(s) URL; messages name the variable, never its value. */
function readProxyEnv(env: NodeJS.ProcessEnv, issues: ConfigIssue[]): ProxyEnv | undefined {
  const httpProxy = proxyUrl(env, 'http_proxy', 'HTTP_PROXY', issues);
  const httpsProxy = proxyUrl(env, 'https_proxy', 'HTTPS_PROXY', issues);
  if (httpProxy === undefined && httpsProxy === undefined) return undefined;
  return { httpProxy, httpsProxy, noProxy: env.no_proxy ?? env.NO_PROXY ?? '' };
}

function proxyUrl(
  env: NodeJS.ProcessEnv,
  lower: string,
  upper: string,
  issues: ConfigIssue[],
): string | undefined {
  const name = env[lower] ? lower : upper;
  const value = env[name];
  if (!value) return undefined;
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = '';
  }
  if (protocol === 'http:' || protocol === 'https:') return value;
  issues.push({
    path: 'proxyFromEnv',
    message: `environment variable ${name} must be an http(s) URL such as "http://proxy.internal:3128"; fix it, or set proxyFromEnv: false to connect directly`,
  });
  return undefined;
}
