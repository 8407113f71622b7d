/** Tokens counted for a text: `ceil(characters / 4)`. */
export function countTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (typeof part === 'object' && part !== null && 'text' in part && typeof part.text === 'string') {
      text += part.text;
    }
  }
  return text;
}

/**
 * Prompt tokens of a chat request: `ceil(total characters of the messages' contents / 4)`.
 * A content given as parts counts the `text` of each part; other fields (role, name, tools) do not count.
 */
export function countPromptTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const message of messages) {
    if (typeof message === 'object' && message !== null && 'content' in message) {
      chars += contentText(message.content).length;
    }
  }
  return Math.ceil(chars / 4);
}

/**
 * Splits a reply into its stream chunks: one per word, each word carrying the whitespace before it
 * (and the last one any trailing whitespace), so joining the chunks gives back the text exactly.
 * `'Hello from mock'` gives `['Hello', ' from', ' mock']`.
 */
export function splitContent(content: string): string[] {
  if (content === '') return [];
  return content.match(/\s*\S+(?:\s+$)?/g) ?? [content];
}

/** Completion tokens of a reply: the number of its chunks, i.e. of its words. */
export function countCompletionTokens(content: string): number {
  return splitContent(content).length;
}
