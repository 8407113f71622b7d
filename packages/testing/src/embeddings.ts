import { createHash } from 'node:crypto';
import { countTextTokens } from './tokens';

/** A deterministic unit vector of `dimensions` values derived from `text`. */
export function embeddingVector(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block++) {
    const digest = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 1 < digest.length && values.length < dimensions; i += 2) {
      values.push(digest.readUInt16BE(i) / 32767.5 - 1);
    }
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0)) || 1;
  return values.map((v) => Math.fround(v / norm));
}

function isTokenArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number');
}

/** The inputs of an embeddings request, each with its token count. */
export function embeddingInputs(input: unknown): { text: string; tokens: number }[] {
  if (typeof input === 'string') return [{ text: input, tokens: countTextTokens(input) }];
  if (isTokenArray(input)) return [{ text: JSON.stringify(input), tokens: input.length }];
  if (!Array.isArray(input)) return [];
  return input.flatMap((item: unknown) => embeddingInputs(item));
}

function encodeBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

/** An embeddings `list` response for the request `body`. */
export function embeddingsResponse(
  body: Record<string, unknown>,
  model: string,
  defaultDimensions: number,
): Record<string, unknown> {
  const dimensions =
    typeof body.dimensions === 'number' && body.dimensions > 0
      ? Math.floor(body.dimensions)
      : defaultDimensions;
  const base64 = body.encoding_format === 'base64';
  const inputs = embeddingInputs(body.input);
  const tokens = inputs.reduce((sum, item) => sum + item.tokens, 0);
  return {
    object: 'list',
    data: inputs.map((item, index) => {
      const vector = embeddingVector(item.text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? encodeBase64(vector) : vector };
    }),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
