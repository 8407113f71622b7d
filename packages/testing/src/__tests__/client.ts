import { type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';

/** A chat completion request body. */
export function chatBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-test', messages: [{ role: 'user', content: 'Say hello' }], ...extra };
}

/** POSTs `body` as JSON with fetch. */
export function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...init.headers },
    body: JSON.stringify(body),
  });
}

/** The `data:` payloads of a stream, the time each arrived, and the error that ended it early, if any. */
export interface SseRead {
  events: string[];
  times: number[];
  error?: unknown;
}

/** Reads a fetch response body as server-sent events until it ends or fails. */
export async function readSse(res: Response): Promise<SseRead> {
  const result: SseRead = { events: [], times: [] };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith('data: ')) {
          result.events.push(block.slice('data: '.length));
          result.times.push(Date.now());
        }
        end = buffer.indexOf('\n\n');
      }
    }
  } catch (error) {
    result.error = error;
  }
  return result;
}

/** The outcome of a raw node:http request: never rejects, reports the error instead. */
export interface RawResult {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  error?: Error;
}

/** Sends a request over a fresh connection (no keep-alive agent) with node:http; `keepOpen` leaves the body unfinished. */
export function rawRequest(
  url: string,
  options: { method?: string; body?: string; headers?: Record<string, string>; keepOpen?: boolean } = {},
): { req: ClientRequest; done: Promise<RawResult> } {
  let req!: ClientRequest;
  const done = new Promise<RawResult>((resolve) => {
    const result: RawResult = { body: '' };
    const fail = (error: Error): void => {
      result.error ??= error;
      resolve(result);
    };
    req = request(
      url,
      {
        method: options.method ?? 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        result.status = res.statusCode;
        result.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          result.body += chunk;
        });
        res.on('error', fail);
        res.on('end', () => resolve(result));
      },
    );
    req.on('error', fail);
    if (!options.keepOpen) req.end(options.body);
  });
  return { req, done };
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many active handles of each kind the process holds. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Polls until `kinds` are back to the counts of `baseline`; returns the last counts seen. */
export async function settleResources(
  baseline: Record<string, number>,
  kinds: readonly string[],
  timeoutMs = 500,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = activeResources();
    const back = kinds.every((kind) => (now[kind] ?? 0) <= (baseline[kind] ?? 0));
    if (back || Date.now() > deadline) return now;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The `name` of a thrown value when it is error-like (errors from Node's fetch come from another realm than Jest's). */
export function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : undefined;
}

/** Active handle counts once the transient work of the test runner has settled. */
export async function baselineResources(): Promise<Record<string, number>> {
  await delay(10);
  return activeResources();
}
