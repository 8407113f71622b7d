/** One server-sent event carrying `data`. */
export function sseEvent(data: string): string {
  return `data: ${data}\n\n`;
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
