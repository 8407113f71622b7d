/**
 * Reading a JSON request body under a size limit, or taking the one a body parser already read
 * (`express.json()`, `koa-bodyparser`).
 */
import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem';

export { parseByteSize } from '../config/size';

/** Default longest time a request body may take to arrive: 30 s. */
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/** `application/json`, with at most a UTF-8 charset (JSON is UTF-8). */
const JSON_MEDIA_TYPE = /^\s*application\/json\s*(?:;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*)?$/i;

/** Answers that leave a body unread close the connection: draining an endless body would never end. */
const CLOSE: Readonly<Record<string, string>> = Object.freeze({ connection: 'close' });

/**
 * Throws a 415 unless the request says its body is JSON (`application/json`, optionally with
 * `charset=utf-8`). Browsers send other types (`text/plain`, forms) across sites without a
 * preflight, so accepting them would let any page spend through a cookie-authorized route.
 */
export function assertJsonContentType(req: IncomingMessage): void {
  const type = req.headers['content-type'];
  if (type !== undefined && JSON_MEDIA_TYPE.test(type)) return;
  throw new HttpProblem({
    status: 415,
    code: 'unsupported_media_type',
    message: `The request body must be JSON sent as "Content-Type: application/json", got ${
      type === undefined ? 'no Content-Type' : JSON.stringify(type.slice(0, 100))
    }`,
    param: null,
    headers: req.readableEnded ? undefined : CLOSE,
  });
}

/**
 * The request's JSON body. When a body parser already consumed the stream, its result (`parsed`)
 * is used: an object as is, a string or a Buffer parsed here, after checking the declared length
 * against the limit (the parser's own limit may be larger). Throws an `HttpProblem`: 415 for a
 * Content-Type other than JSON or a compressed body, 413 over the limit, 408 when the body takes
 * longer than `timeoutMs` to arrive, 400 for an empty or malformed one. An answer that leaves the
 * body unread closes the connection.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limit: number,
  parsed: unknown,
  timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS,
): Promise<unknown> {
  assertJsonContentType(req);
  if (req.readableEnded) {
    if (declaredLength(req) > limit) throw tooLarge(limit);
    if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return parseJson(asText(parsed, limit));
    if (parsed !== undefined && parsed !== null) return parsed;
    throw new HttpProblem({
      status: 400,
      code: 'invalid_json',
      message: 'The request body was read by another middleware that left no parsed body',
      param: null,
    });
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new HttpProblem({
      status: 415,
      code: 'unsupported_encoding',
      message: `Content-Encoding "${encoding}" is not supported; send the body uncompressed`,
      param: null,
      headers: CLOSE,
    });
  }
  if (declaredLength(req) > limit) throw tooLarge(limit);
  return parseJson(await readText(req, limit, timeoutMs));
}

/** The `content-length` of a request, or 0 when it has none (a chunked body). */
function declaredLength(req: IncomingMessage): number {
  const declared = Number(req.headers['content-length']);
  return Number.isFinite(declared) ? declared : 0;
}

function readText(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    /** Stops reading: the rest of the body stays unread and the answer closes the connection. */
    const refuse = (problem: HttpProblem) => {
      cleanup();
      chunks.length = 0;
      req.pause();
      reject(problem);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) refuse(tooLarge(limit));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(clientGone(error));
    };
    const onClose = () => {
      cleanup();
      reject(clientGone());
    };
    const timer = setTimeout(() => refuse(tooSlow(timeoutMs)), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function asText(value: string | Buffer, limit: number): string {
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (size > limit) throw tooLarge(limit);
  return typeof value === 'string' ? value : value.toString('utf8');
}

function parseJson(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new HttpProblem({
      status: 400,
      code: 'invalid_json',
      message: 'The request body is empty; expected a JSON object',
      param: null,
    });
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new HttpProblem({
      status: 400,
      code: 'invalid_json',
      message: `The request body is not valid JSON: ${(error as Error).message}`,
      param: null,
    });
  }
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem({
    status: 413,
    code: 'request_too_large',
    message: `The request body is larger than the limit of ${limit} bytes`,
    param: null,
    headers: CLOSE,
  });
}

function tooSlow(timeoutMs: number): HttpProblem {
  return new HttpProblem({
    status: 408,
    code: 'request_timeout',
    message: `The request body did not arrive within ${timeoutMs} ms`,
    param: null,
    headers: CLOSE,
  });
}

/** The HTTP client went away while its body was being read; nothing can be answered. */
function clientGone(cause?: Error): HttpProblem {
  const problem = new HttpProblem({
    status: 499,
    code: 'request_aborted',
    message: 'The client closed the connection before its request body was read',
    param: null,
  });
  if (cause) Object.defineProperty(problem, 'cause', { value: cause });
  return problem;
}
