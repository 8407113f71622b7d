/** Test fixtures for the routing strategies. */
import type { ResolvedDeployment } from '../../types';
import type { RoutingCandidate } from '../strategy';

/** A seeded PRNG (mulberry32): uniform in [0, 1), deterministic for a seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CandidateSpec {
  weight?: number;
  priority?: number;
  inFlight?: number;
  latencyEwmaMs?: number;
}

/** A candidate for deployment `id` (`provider/model`), weight 1 and priority 0 unless given. */
export function candidate(id: string, spec: CandidateSpec = {}): RoutingCandidate {
  const [provider = id, model = id] = id.split('/');
  const deployment: ResolvedDeployment = Object.freeze({
    id,
    provider,
    model,
    weight: spec.weight ?? 1,
    priority: spec.priority ?? 0,
    price: undefined,
    degradedLatencyMs: 2000,
    rateLimit: undefined,
    region: undefined,
  });
  return Object.freeze({ deployment, inFlight: spec.inFlight ?? 0, latencyEwmaMs: spec.latencyEwmaMs });
}

/** The deployment ids of `candidates`, in order. */
export function ids(candidates: readonly RoutingCandidate[]): string[] {
  return candidates.map((c) => c.deployment.id);
}
