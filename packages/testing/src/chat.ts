import type { Usage } from './fault-types';
import { countCompletionTokens, splitContent } from './tokens';

/** What a chat completion reply is built from. */
export interface ChatReplyInput {
  id: string;
  created: number;
  model: string;
  content: string;
  promptTokens: number;
  usage?: Partial<Usage>;
}

const FINGERPRINT = 'fp_mock';

/** The usage of a reply: computed counts, with `usage` overrides applied. */
export function chatUsage(input: ChatReplyInput): Usage {
  const prompt = input.usage?.prompt_tokens ?? input.promptTokens;
  const completion = input.usage?.completion_tokens ?? countCompletionTokens(input.content);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: input.usage?.total_tokens ?? prompt + completion,
  };
}

/** A `chat.completion` object. */
export function chatCompletion(input: ChatReplyInput): Record<string, unknown> {
  return {
    id: input.id,
    object: 'chat.completion',
    created: input.created,
    model: input.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: input.content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(input),
    system_fingerprint: FINGERPRINT,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed reply: the role, one per word, the `stop` chunk,
 * and with `includeUsage` a last chunk with empty `choices` and the usage (the others carry `usage: null`).
 */
export function chatCompletionChunks(
  input: ChatReplyInput,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const chunk = (choices: unknown[], usage?: Usage): Record<string, unknown> => ({
    id: input.id,
    object: 'chat.completion.chunk',
    created: input.created,
    model: input.model,
    system_fingerprint: FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choice = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });
  const chunks = [chunk([choice({ role: 'assistant', content: '' }, null)])];
  for (const word of splitContent(input.content)) chunks.push(chunk([choice({ content: word }, null)]));
  chunks.push(chunk([choice({}, 'stop')]));
  if (includeUsage) chunks.push(chunk([], chatUsage(input)));
  return chunks;
}
