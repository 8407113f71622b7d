/**
 * How alike two answers read: the cosine similarity of their word counts (lowercased words of
 * letters and digits), from 0 (no word in common) to 1 (the same words as often). Cheap and
 * order-blind: it tells a shadow that answers the same from one that answers something else, not
 * which answer is better. Only the first 16 KB of each text are compared.
 */

export const MAX_COMPARED_CHARS = 16 * 1024;
const WORD = /[\p{L}\p{N}]+/gu;

export function textSimilarity(a: string, b: string): number {
  const left = wordCounts(a);
  const right = wordCounts(b);
  if (left.size === 0 && right.size === 0) return 1;
  if (left.size === 0 || right.size === 0) return 0;
  let dot = 0;
  for (const [word, n] of left) dot += n * (right.get(word) ?? 0);
  const similarity = dot / (norm(left) * norm(right));
  return Math.round(Math.min(1, similarity) * 1000) / 1000;
}

function wordCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  const bounded = text.length > MAX_COMPARED_CHARS ? text.slice(0, MAX_COMPARED_CHARS) : text;
  for (const [word] of bounded.toLowerCase().matchAll(WORD)) counts.set(word, (counts.get(word) ?? 0) + 1);
  return counts;
}

function norm(counts: Map<string, number>): number {
  let sum = 0;
  for (const n of counts.values()) sum += n * n;
  return Math.sqrt(sum);
}
