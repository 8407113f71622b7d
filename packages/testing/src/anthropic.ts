/** Replies in the shapes of Anthropic's Messages API: a `message` object, or its stream events. */
import { argumentPieces, type ChatReplyInput, chatUsage } from './chat';
import { sseEvent } from './sse';
import { countTextTokens, splitContent } from './tokens';

function usageOf(input: ChatReplyInput): Record<string, number> {
  const usage = chatUsage(input);
  return {
    input_tokens: usage.prompt_tokens - usage.cached_tokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: usage.cached_tokens,
    output_tokens: usage.completion_tokens,
  };
}

function toolUseId(input: ChatReplyInput, index: number): string {
  return input.toolCalls?.[index]?.id ?? `toolu_mock_${index + 1}`;
}

function stopReason(input: ChatReplyInput): string {
  return input.toolCalls && input.toolCalls.length > 0 ? 'tool_use' : 'end_turn';
}

/** A Messages API `message`. */
export function anthropicMessage(input: ChatReplyInput): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (input.reasoning) content.push({ type: 'thinking', thinking: input.reasoning, signature: 'sig_mock' });
  if (input.content !== '') content.push({ type: 'text', text: input.content });
  (input.toolCalls ?? []).forEach((call, i) => {
    content.push({
      type: 'tool_use',
      id: toolUseId(input, i),
      name: call.name,
      input: JSON.parse(call.arguments),
    });
  });
  return {
    id: input.id,
    type: 'message',
    role: 'assistant',
    model: input.model,
    content,
    stop_reason: stopReason(input),
    stop_sequence: null,
    usage: usageOf(input),
  };
}

/**
 * The stream events of a reply: `message_start`, a `ping`, one block per thinking, text and tool
 * call (`thinking_delta` and `text_delta` per word, `input_json_delta` in two pieces), then
 * `message_delta` with the stop reason and the output tokens, and `message_stop`.
 */
export function anthropicEvents(input: ChatReplyInput): string[] {
  const event = (name: string, data: Record<string, unknown>) =>
    sseEvent(JSON.stringify({ type: name, ...data }), name);
  const usage = usageOf(input);
  const events = [
    event('message_start', {
      message: {
        id: input.id,
        type: 'message',
        role: 'assistant',
        model: input.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    event('ping', {}),
  ];
  let index = 0;
  const block = (start: Record<string, unknown>, deltas: Record<string, unknown>[]) => {
    events.push(event('content_block_start', { index, content_block: start }));
    for (const delta of deltas) events.push(event('content_block_delta', { index, delta }));
    events.push(event('content_block_stop', { index }));
    index++;
  };
  if (input.reasoning) {
    block({ type: 'thinking', thinking: '', signature: '' }, [
      ...splitContent(input.reasoning).map((word) => ({ type: 'thinking_delta', thinking: word })),
      { type: 'signature_delta', signature: 'sig_mock' },
    ]);
  }
  if (input.content !== '') {
    block(
      { type: 'text', text: '' },
      splitContent(input.content).map((word) => ({ type: 'text_delta', text: word })),
    );
  }
  (input.toolCalls ?? []).forEach((call, i) => {
    block(
      { type: 'tool_use', id: toolUseId(input, i), name: call.name, input: {} },
      argumentPieces(call.arguments).map((piece) => ({ type: 'input_json_delta', partial_json: piece })),
    );
  });
  events.push(
    event('message_delta', {
      delta: { stop_reason: stopReason(input), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    event('message_stop', {}),
  );
  return events;
}

/** Prompt tokens of a Messages API request: its system prompt and the text of its messages. */
export function anthropicPromptTokens(body: Record<string, unknown>): number {
  let text = '';
  const add = (content: unknown) => {
    if (typeof content === 'string') text += content;
    else if (Array.isArray(content)) {
      for (const block of content) {
        if (block && typeof block === 'object' && typeof block.text === 'string') text += block.text;
        if (block && typeof block === 'object' && typeof block.content === 'string') text += block.content;
      }
    }
  };
  add(body.system);
  if (Array.isArray(body.messages)) for (const message of body.messages) add(message?.content);
  return countTextTokens(text);
}

/** A Models API list. */
export function anthropicModels(models: readonly string[]): Record<string, unknown> {
  return {
    data: models.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' })),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models[models.length - 1] ?? null,
  };
}
