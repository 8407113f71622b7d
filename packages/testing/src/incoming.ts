import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isJsonObject, resolveRoute } from './routes';
import type { RecordedRequest } from './types';

/** Reads the whole request body; rejects if the client leaves first. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('The client closed the request before sending its body'));
    });
  });
}

/** Lowercased headers, repeated ones joined with `, `. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** The key of an `Authorization: Bearer <key>` header. */
export function bearerKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? '');
  return match?.[1]?.trim();
}

/** The key a request carries: `Authorization: Bearer`, `x-api-key` (Anthropic), `x-goog-api-key` or `?key=` (Gemini). */
function apiKeyOf(headers: Record<string, string>, query: string): string | undefined {
  return (
    bearerKey(headers.authorization) ??
    (headers['x-api-key'] || headers['x-goog-api-key'] || new URLSearchParams(query).get('key') || undefined)
  );
}

/** The record of a request whose headers just arrived; its body fields are filled by {@link applyBody}. */
export function recordRequest(id: number, req: IncomingMessage): RecordedRequest {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  const headers = flattenHeaders(req.headers);
  const method = req.method ?? 'GET';
  const path = query === -1 ? url : url.slice(0, query);
  const record: RecordedRequest = {
    id,
    method,
    path,
    headers,
    body: undefined,
    apiKey: apiKeyOf(headers, query === -1 ? '' : url.slice(query + 1)),
    stream: false,
    receivedAt: Date.now(),
    fault: 'none',
    aborted: false,
  };
  // Gemini names the model and the streaming in the path.
  const route = resolveRoute(method, path);
  if (route.kind === 'generate') {
    record.model = route.model;
    record.stream = route.stream;
  }
  return record;
}

/** Fills the body, model and stream fields of `record` from the raw body. */
export function applyBody(record: RecordedRequest, raw: string): void {
  if (raw === '') return;
  try {
    record.body = JSON.parse(raw);
  } catch {
    record.body = raw;
  }
  if (isJsonObject(record.body) && record.model === undefined) {
    if (typeof record.body.model === 'string') record.model = record.body.model;
    record.stream = record.body.stream === true;
  }
}
