/**
 * OpenAI chat-completions and embeddings shapes: what a caller sends and gets back. Extra fields
 * pass through untouched.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer' | (string & {});
  content: string | unknown[] | null;
  name?: string;
  [key: string]: unknown;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Ignored for routing: the model group comes from `options.model`; each deployment sends its own model name. */
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [key: string]: unknown };
  max_tokens?: number;
  temperature?: number;
  [key: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [key: string]: unknown;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: string; content: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: Usage;
  [key: string]: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; [key: string]: unknown };
    finish_reason: string | null;
    [key: string]: unknown;
  }>;
  usage?: Usage | null;
  [key: string]: unknown;
}

export interface EmbeddingsRequest {
  input: string | string[] | number[] | number[][];
  model?: string;
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  [key: string]: unknown;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage?: { prompt_tokens: number; total_tokens: number };
  [key: string]: unknown;
}
