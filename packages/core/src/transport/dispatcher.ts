/**
 * The undici dispatcher of each provider: the app's own, a proxy agent for the proxy of the
 * environment, or a keep-alive pool of the client's.
 */
import { type Dispatcher, EnvHttpProxyAgent, Pool } from 'undici';
import type { ResolvedProvider } from '../types';

/** A provider's dispatcher, and whether the client created it (and so closes it). */
export interface ProviderDispatcher {
  readonly dispatcher: Dispatcher;
  readonly owned: boolean;
}

export function createDispatcher(provider: ResolvedProvider): ProviderDispatcher {
  const transport = provider.transport;
  if (transport.kind === 'dispatcher') return { dispatcher: transport.dispatcher(), owned: false };
  const tls = transport.ca ? { ca: [...transport.ca] } : undefined;
  const options = {
    connections: provider.maxConcurrent,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    // The engine times every attempt itself (per-attempt timeout, stream clocks, deadline); these
    // are only a backstop.
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
    ...(tls ? { connect: tls } : {}),
  };
  if (transport.kind === 'direct') return { dispatcher: new Pool(provider.origin, options), owned: true };
  // The values read at start-up, not the environment of each request. An https provider is
  // reached through a CONNECT tunnel, so its TLS (and its key) stays end to end.
  const proxy = new EnvHttpProxyAgent({
    ...options,
    httpProxy: transport.httpProxy,
    httpsProxy: transport.httpsProxy,
    noProxy: transport.noProxy,
    ...(tls ? { requestTls: tls } : {}),
  });
  return { dispatcher: proxy, owned: true };
}
