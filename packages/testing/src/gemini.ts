/** Replies in the shapes of Gemini's generateContent: a `GenerateContentResponse`, or a stream of them. */
import { type ChatReplyInput, chatUsage } from './chat';
import { sseEvent } from './sse';
import { countTextTokens, splitContent } from './tokens';

function usageMetadata(input: ChatReplyInput): Record<string, number> {
  const usage = chatUsage(input);
  const metadata: Record<string, number> = {
    promptTokenCount: usage.prompt_tokens,
    candidatesTokenCount: usage.completion_tokens - usage.reasoning_tokens,
    totalTokenCount: usage.total_tokens,
  };
  if (usage.cached_tokens > 0) metadata.cachedContentTokenCount = usage.cached_tokens;
  if (usage.reasoning_tokens > 0) metadata.thoughtsTokenCount = usage.reasoning_tokens;
  return metadata;
}

function functionCalls(input: ChatReplyInput): Record<string, unknown>[] {
  return (input.toolCalls ?? []).map((call) => ({
    functionCall: { ...(call.id ? { id: call.id } : {}), name: call.name, args: JSON.parse(call.arguments) },
  }));
}

function response(input: ChatReplyInput, parts: unknown[], final: boolean): Record<string, unknown> {
  return {
    candidates: [
      {
        content: { parts, role: 'model' },
        ...(final ? { finishReason: 'STOP' } : {}),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(input),
    modelVersion: input.model,
    responseId: input.id,
  };
}

/** A `GenerateContentResponse`. */
export function geminiResponse(input: ChatReplyInput): Record<string, unknown> {
  const parts: unknown[] = [];
  if (input.reasoning) parts.push({ text: input.reasoning, thought: true });
  if (input.content !== '') parts.push({ text: input.content });
  parts.push(...functionCalls(input));
  return response(input, parts, true);
}

/**
 * The `data:` events of a streamed reply (`?alt=sse`): one response per word of the thoughts and of
 * the text, the function calls whole (as Gemini sends them), the last one with `finishReason`.
 */
export function geminiEvents(input: ChatReplyInput): string[] {
  const pieces: unknown[][] = [
    ...splitContent(input.reasoning ?? '').map((word) => [{ text: word, thought: true }]),
    ...splitContent(input.content).map((word) => [{ text: word }]),
  ];
  const calls = functionCalls(input);
  if (calls.length > 0) pieces.push(calls);
  if (pieces.length === 0) pieces.push([{ text: '' }]);
  return pieces.map((parts, i) => sseEvent(JSON.stringify(response(input, parts, i === pieces.length - 1))));
}

/** Prompt tokens of a generateContent request: the text of its system instruction and contents. */
export function geminiPromptTokens(body: Record<string, unknown>): number {
  let text = '';
  const add = (content: unknown) => {
    const parts = (content as { parts?: unknown } | null)?.parts;
    if (!Array.isArray(parts)) return;
    for (const part of parts) if (part && typeof part.text === 'string') text += part.text;
  };
  add(body.systemInstruction);
  if (Array.isArray(body.contents)) for (const content of body.contents) add(content);
  return countTextTokens(text);
}

/** The `GET /v1beta/models` list. */
export function geminiModels(models: readonly string[]): Record<string, unknown> {
  return {
    models: models.map((id) => ({
      name: `models/${id}`,
      displayName: id,
      supportedGenerationMethods: ['generateContent', 'streamGenerateContent'],
    })),
  };
}
