import type { MockToolCall, Usage } from './fault-types';
import { countCompletionTokens, splitContent } from './tokens';

/** A tool call of a reply, with its id and its arguments as JSON text. */
export interface ReplyToolCall {
  id: string | undefined;
  name: string;
  arguments: string;
}

/** What a chat reply is built from, whatever the API speaking it. */
export interface ChatReplyInput {
  id: string;
  created: number;
  model: string;
  content: string;
  promptTokens: number;
  usage?: Partial<Usage>;
  toolCalls?: ReplyToolCall[];
  reasoning?: string;
}

const FINGERPRINT = 'fp_mock';

/** The tool calls of a fault, normalized. */
export function replyToolCalls(calls: readonly MockToolCall[] | undefined): ReplyToolCall[] {
  return (calls ?? []).map((call) => ({
    id: call.id,
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
}

/** The two halves of a tool call's arguments, streamed as two deltas so clients must join them. */
export function argumentPieces(text: string): string[] {
  const middle = Math.ceil(text.length / 2);
  return [text.slice(0, middle), text.slice(middle)].filter((piece) => piece !== '');
}

/**
 * The usage of a reply: computed counts (a token per word of the text and of the reasoning, one
 * per tool call), with `usage` overrides applied.
 */
export function chatUsage(
  input: ChatReplyInput,
): Usage & { cached_tokens: number; reasoning_tokens: number } {
  const reasoning = countCompletionTokens(input.reasoning ?? '');
  const prompt = input.usage?.prompt_tokens ?? input.promptTokens;
  const completion =
    input.usage?.completion_tokens ??
    countCompletionTokens(input.content) + reasoning + (input.toolCalls?.length ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: input.usage?.total_tokens ?? prompt + completion,
    cached_tokens: input.usage?.cached_tokens ?? 0,
    reasoning_tokens: reasoning,
  };
}

/** OpenAI's `usage`: the details only where there is something to report. */
function openAiUsage(input: ChatReplyInput): Record<string, unknown> {
  const { cached_tokens, reasoning_tokens, ...usage } = chatUsage(input);
  return {
    ...usage,
    ...(cached_tokens > 0 ? { prompt_tokens_details: { cached_tokens } } : {}),
    ...(reasoning_tokens > 0 ? { completion_tokens_details: { reasoning_tokens } } : {}),
  };
}

function openAiToolCalls(input: ChatReplyInput): Array<{ id: string; name: string; arguments: string }> {
  return (input.toolCalls ?? []).map((call, i) => ({ ...call, id: call.id ?? `call_mock_${i + 1}` }));
}

function finishReason(input: ChatReplyInput): string {
  return input.toolCalls && input.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** A `chat.completion` object. */
export function chatCompletion(input: ChatReplyInput): Record<string, unknown> {
  const calls = openAiToolCalls(input);
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: input.content === '' && calls.length > 0 ? null : input.content,
    refusal: null,
  };
  if (input.reasoning) message.reasoning_content = input.reasoning;
  if (calls.length > 0) {
    message.tool_calls = calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: input.id,
    object: 'chat.completion',
    created: input.created,
    model: input.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(input) }],
    usage: openAiUsage(input),
    system_fingerprint: FINGERPRINT,
  };
}

/**
 * The `chat.completion.chunk` objects of a streamed reply: the role, one per word of the reasoning
 * (`reasoning_content`) and of the text, each tool call (its name, then its arguments in two
 * pieces), the finish chunk, and with `includeUsage` a last chunk with empty `choices` and the
 * usage (the others carry `usage: null`).
 */
export function chatCompletionChunks(
  input: ChatReplyInput,
  includeUsage: boolean,
): Record<string, unknown>[] {
  const chunk = (choices: unknown[], usage?: Record<string, unknown>): Record<string, unknown> => ({
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
  for (const word of splitContent(input.reasoning ?? '')) {
    chunks.push(chunk([choice({ reasoning_content: word }, null)]));
  }
  for (const word of splitContent(input.content)) chunks.push(chunk([choice({ content: word }, null)]));
  openAiToolCalls(input).forEach((call, index) => {
    const head = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
    chunks.push(chunk([choice({ tool_calls: [head] }, null)]));
    for (const piece of argumentPieces(call.arguments)) {
      chunks.push(chunk([choice({ tool_calls: [{ index, function: { arguments: piece } }] }, null)]));
    }
  });
  chunks.push(chunk([choice({}, finishReason(input))]));
  if (includeUsage) chunks.push(chunk([], openAiUsage(input)));
  return chunks;
}
