/** Regions: a caller's preferred region is tried before any other. */

/**
 * Moves the candidates of `region` to the front of `ordered`, in place, keeping the order of each
 * side; returns it. Candidates without a region count as elsewhere. No region: unchanged.
 */
export function preferRegion<T extends { readonly deployment: { readonly region?: string | undefined } }>(
  ordered: T[],
  region: string | undefined,
): T[] {
  if (region === undefined) return ordered;
  let front = 0;
  for (let i = 0; i < ordered.length; i++) {
    const candidate = ordered[i]!;
    if (candidate.deployment.region !== region) continue;
    for (let k = i; k > front; k--) ordered[k] = ordered[k - 1]!;
    ordered[front++] = candidate;
  }
  return ordered;
}
