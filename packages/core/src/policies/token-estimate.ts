/**
 * Tokens a call is expected to use, before it is sent: what a tokens-per-minute budget is charged
 * with, corrected from the answer's `usage` afterwards.
 *
 * With `gpt-tokenizer` or `js-tiktoken` installed (optional peers), text is counted with the
 * `o200k_base` encoding of current OpenAI models; otherwise as one token per 4 characters, the
 * usual rule of thumb for English. Either way each message adds 4 tokens of framing and the
 * answer 3 of priming, and the requested `max_completion_tokens` / `max_tokens` (if any) is added
 * as the most the answer may use. Only the first 2 KB of text are tokenized (the rest is scaled
 * from them): an estimate is sync work on the call's path, and this keeps it near 0.1 ms whatever
 * the prompt's size (figures from `bench/traffic.mjs`).
 */
import { isMissingModule } from '../telemetry/optional';

/** Counts the tokens of a text. */
export interface TokenCounter {
  /** What counts: `gpt-tokenizer`, `js-tiktoken` or `chars/4`. */
  readonly name: string;
  count(text: string): number;
}

/** Characters tokenized at most per estimate; beyond, the count is scaled. */
export const MAX_TOKENIZED_CHARS = 2 * 1024;
const PER_MESSAGE = 4;
const PER_ANSWER = 3;

/** One token per 4 characters, rounded up. */
export const CHARS_PER_TOKEN: TokenCounter = Object.freeze({
  name: 'chars/4',
  count: (text: string) => Math.ceil(text.length / 4),
});

let loaded: TokenCounter | undefined;

/**
 * The best counter installed: `gpt-tokenizer`, else `js-tiktoken`, else {@link CHARS_PER_TOKEN}.
 * Loaded once, on first use. `require` is injectable for tests.
 */
export function tokenCounter(load: (name: string) => unknown = require): TokenCounter {
  if (load === require && loaded) return loaded;
  const found = fromGptTokenizer(load) ?? fromJsTiktoken(load) ?? CHARS_PER_TOKEN;
  if (load === require) loaded = found;
  return found;
}

function fromGptTokenizer(load: (name: string) => unknown): TokenCounter | undefined {
  const module = optional(load, 'gpt-tokenizer') as { countTokens?: (text: string) => number } | undefined;
  const count = module?.countTokens;
  return typeof count === 'function' ? { name: 'gpt-tokenizer', count: (text) => count(text) } : undefined;
}

function fromJsTiktoken(load: (name: string) => unknown): TokenCounter | undefined {
  const module = optional(load, 'js-tiktoken') as
    | { getEncoding?: (name: string) => { encode(text: string): ArrayLike<number> } }
    | undefined;
  if (typeof module?.getEncoding !== 'function') return undefined;
  const encoding = module.getEncoding('o200k_base');
  return { name: 'js-tiktoken', count: (text) => encoding.encode(text).length };
}

function optional(load: (name: string) => unknown, name: string): unknown {
  try {
    return load(name);
  } catch (error) {
    if (isMissingModule(error, name)) return undefined;
    throw error;
  }
}

/** The estimated tokens of a chat or embeddings request body. */
export function estimateTokens(request: Record<string, unknown>, counter: TokenCounter): number {
  const texts: string[] = [];
  let framing = 0;
  const messages = request.messages;
  if (Array.isArray(messages)) {
    framing += PER_ANSWER;
    for (const message of messages) {
      framing += PER_MESSAGE;
      if (typeof message !== 'object' || message === null) continue;
      const { content, name } = message as { content?: unknown; name?: unknown };
      if (typeof name === 'string') texts.push(name);
      collectText(content, texts);
    }
  } else collectInput(request.input, texts);
  const output = request.max_completion_tokens ?? request.max_tokens;
  const answer = typeof output === 'number' && output > 0 && Number.isFinite(output) ? output : 0;
  return framing + countTexts(texts, counter) + tokenArrayLength(request.input) + answer;
}

function collectText(content: unknown, texts: string[]): void {
  if (typeof content === 'string') texts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      const text = typeof part === 'object' && part !== null ? (part as { text?: unknown }).text : undefined;
      if (typeof text === 'string') texts.push(text);
    }
  }
}

function collectInput(input: unknown, texts: string[]): void {
  if (typeof input === 'string') texts.push(input);
  else if (Array.isArray(input)) for (const item of input) if (typeof item === 'string') texts.push(item);
}

/** Embeddings given as token arrays count their length. */
function tokenArrayLength(input: unknown): number {
  if (!Array.isArray(input) || input.length === 0) return 0;
  if (typeof input[0] === 'number') return input.length;
  let n = 0;
  for (const item of input) if (Array.isArray(item)) n += item.length;
  return n;
}

/** Counts the texts, tokenizing at most {@link MAX_TOKENIZED_CHARS} and scaling the rest. */
function countTexts(texts: readonly string[], counter: TokenCounter): number {
  let total = 0;
  for (const text of texts) total += text.length;
  if (total === 0) return 0;
  if (counter === CHARS_PER_TOKEN) return texts.reduce((n, text) => n + CHARS_PER_TOKEN.count(text), 0);
  let counted = 0;
  let chars = 0;
  for (const text of texts) {
    const room = MAX_TOKENIZED_CHARS - chars;
    if (room <= 0) break;
    const part = text.length > room ? text.slice(0, room) : text;
    counted += counter.count(part);
    chars += part.length;
  }
  return chars >= total ? counted : Math.ceil((counted * total) / chars);
}
