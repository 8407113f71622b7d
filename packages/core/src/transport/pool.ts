/** One undici keep-alive pool per provider. */
import { Pool } from 'undici';
import type { ResolvedProvider } from '../types';

export function createPool(provider: ResolvedProvider): Pool {
  return new Pool(provider.origin, {
    connections: provider.maxConcurrent,
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    // The engine times every attempt itself (per-attempt timeout, stream clocks, deadline); these
    // are only a backstop.
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
  });
}
