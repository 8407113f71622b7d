/** One server-sent event carrying `data`, named `event` when given. */
export function sseEvent(data: string, event?: string): string {
  return event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`;
}

/** The same event with its data cut in half (no longer valid JSON). */
export function halveEvent(event: string): string {
  return event.replace(
    /^data: (.*)$/m,
    (_line, data: string) => `data: ${data.slice(0, Math.floor(data.length / 2))}`,
  );
}

/** The event that ends an OpenAI stream. */
export const SSE_DONE = sseEvent('[DONE]');

/** Headers of an OpenAI stream response. */
export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/** Headers of a JSON response. */
export const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };
