/**
 * Reading a JSON request body under a size limit, or taking the one a body parser already read
 * (`express.json()`, `koa-bodyparser`).
 */
import type { IncomingMessage } from 'node:http';
import { HttpProblem } from './problem';

export { parseByteSize } from '../config/size';

/**
 * The request's JSON body. When a body parser already consumed the stream, its result (`parsed`)
 * is used: an object as is, a string or a Buffer parsed here. Throws an `HttpProblem`: 413 over the
 * limit, 415 for a compressed body, 400 for an empty or malformed one.
 */
export async function readJsonBody(req: IncomingMessage, limit: number, parsed: unknown): Promise<unknown> {
  if (req.readableEnded) {
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
    drain(req);
    throw new HttpProblem({
      status: 415,
      code: 'unsupported_encoding',
      message: `Content-Encoding "${encoding}" is not supported; send the body uncompressed`,
      param: null,
    });
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    drain(req);
    throw tooLarge(limit);
  }
  return parseJson(await readText(req, limit));
}

function readText(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        drain(req);
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
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

/** Reads and drops the rest of a body we will not use, so the connection stays usable. */
function drain(req: IncomingMessage): void {
  req.resume();
}

function tooLarge(limit: number): HttpProblem {
  return new HttpProblem({
    status: 413,
    code: 'request_too_large',
    message: `The request body is larger than the limit of ${limit} bytes`,
    param: null,
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
