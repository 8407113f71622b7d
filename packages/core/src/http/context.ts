/** What every route handler of the HTTP layer works with, built once per middleware. */
import type { AiClient } from '../client';
import { createRedactor, secretsOf } from '../redact';
import type { Logger } from '../types';
import type { ResolvedHttpOptions } from './options';
import type { Scrubber } from './problem';

export interface HttpContext<S> {
  readonly client: AiClient;
  readonly options: ResolvedHttpOptions<S>;
  readonly scrub: Scrubber;
  readonly logger: Logger | undefined;
  /** Unix seconds the routes were created: the `created` of the model objects. */
  readonly createdAt: number;
}

const ANY_URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]*[^\s"'<>().,;:!?]/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g;
const IPV6 = /\[[0-9a-f:.]+\](?::\d{1,5})?/gi;

/**
 * A scrubber for the client's providers: every configured key (and key-like text), every provider
 * URL and dotted host name, and any other URL or IP address, so an upstream location never reaches a
 * response. Without a client, only the patterns apply.
 */
export function createScrubber(client?: AiClient): Scrubber {
  const providers = client ? [...client.config.providers.values()] : [];
  const redact = createRedactor(secretsOf(providers));
  const hosts = new Set<string>();
  for (const provider of providers) {
    try {
      const { hostname } = new URL(provider.origin);
      // Dotted names only: a bare name like `ollama` is often also the provider id in deployment ids.
      if (hostname.includes('.') && !/^[\d.]+$/.test(hostname)) hosts.add(hostname);
    } catch {
      // an origin that is not a URL has no host name to hide
    }
  }
  const hostNames = [...hosts].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redact(text).replace(ANY_URL, '[url]');
    for (const host of hostNames) if (out.includes(host)) out = out.split(host).join('[host]');
    return out.replace(IPV6, '[address]').replace(IPV4, '[address]');
  };
}
