/**
 * The OpenAI-compatible wire protocol: paths, headers, request bodies and error bodies. OpenAI,
 * DeepSeek, relays, and the OpenAI-compatible endpoints of Gemini and Anthropic all speak it.
 */
import type { ProviderErrorBody } from '../policies/classify';
import type { ResolvedProvider } from '../types';

export interface ProtocolPaths {
  readonly chat: string;
  readonly embeddings: string;
  readonly models: string;
}

export function openAiPaths(provider: ResolvedProvider): ProtocolPaths {
  return {
    chat: `${provider.basePath}/chat/completions`,
    embeddings: `${provider.basePath}/embeddings`,
    models: `${provider.basePath}/models`,
  };
}

/** Headers for each of the provider's keys, built once (index = key index; one entry when keyless). */
export function openAiHeaders(provider: ResolvedProvider): Readonly<Record<string, string>>[] {
  const base: Record<string, string> = {
    // Set here so that no dispatcher adds it to these shared, frozen objects (a ProxyAgent would).
    host: new URL(provider.origin).host,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'user-agent': 'ai-failover',
  };
  for (const [name, value] of Object.entries(provider.headers)) base[name.toLowerCase()] = value;
  if (provider.keys.length === 0) return [Object.freeze(base)];
  return provider.keys.map((key) => Object.freeze({ ...base, authorization: `Bearer ${key}` }));
}

/**
 * Reads the error an OpenAI-compatible API sends: `{ error: { message, type, code } }`, Anthropic's
 * `{ type: 'error', error: { type, message } }`, Gemini's `[{ error: { code, message, status } }]`,
 * or a plain `{ message }` / text.
 */
export function parseErrorBody(text: string): ProviderErrorBody | undefined {
  if (!text) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: text.slice(0, 500).trim() };
  }
  const root = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!root || typeof root !== 'object') return { message: text.slice(0, 500).trim() };
  const error = (root as { error?: unknown }).error;
  const source = (error && typeof error === 'object' ? error : root) as Record<string, unknown>;
  const message =
    typeof source.message === 'string' ? source.message : typeof error === 'string' ? error : undefined;
  const code = stringOf(source.code) ?? stringOf(source.status);
  const type = stringOf(source.type);
  return { message, code, type };
}

function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
