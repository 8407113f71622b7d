/** Waiting, and counting what keeps the process alive, for tests that check nothing is left open. */

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many of each kind of handle keep the process alive, e.g. `{ TCPSocketWrap: 3, Timeout: 1 }`. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
