/** An OpenAI error body. */
export interface ErrorJson {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A `chat.completion` object. */
export interface ChatCompletionJson {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/** An embeddings `list`, with vectors as numbers or base64 strings. */
export interface EmbeddingsJson<E = number[]> {
  object: string;
  model: string;
  data: { object: string; index: number; embedding: E }[];
  usage: { prompt_tokens: number; total_tokens: number };
}

/** A `model` object. */
export interface ModelJson {
  id: string;
  object: string;
  owned_by: string;
}

/** Parses a fetch response body as JSON of the expected shape. */
export async function readJson<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
