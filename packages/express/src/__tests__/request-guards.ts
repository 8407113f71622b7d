/**
 * One suite of the OpenAI routes' guards against hostile requests, run on every adapter (Express,
 * Koa, Nest on Express and Fastify): only JSON bodies, no deeply nested body, no endless or slow
 * body, `stream` a boolean. Every refusal is in OpenAI's error shape and makes no upstream call.
 */
import { connect } from 'node:net';

export interface GuardedApp {
  /** `http://127.0.0.1:PORT` of the app; its OpenAI routes are under `/v1` and let everyone in. */
  readonly base: string;
  /** Calls the mock providers received so far. */
  upstreamCalls(): number;
}

export interface GuardOptions {
  /** The app reads request bodies itself (no body parser of the framework before the routes). */
  readonly readsBody: boolean;
  /** Starts the app with these route options (`openai.bodyLimit`, `openai.bodyTimeoutMs`). */
  start(options: { bodyLimit?: number; bodyTimeoutMs?: number }): Promise<GuardedApp>;
}

const messages = [{ role: 'user', content: 'hi' }];

function post(base: string, body: string, headers: Record<string, string>): Promise<Response> {
  return fetch(`${base}/v1/chat/completions`, { method: 'POST', headers, body });
}

async function expectProblem(res: Response, status: number, code: string, param: string | null = null) {
  expect([res.status, res.headers.get('content-type')]).toEqual([status, 'application/json; charset=utf-8']);
  expect(await res.json()).toEqual({
    error: { message: expect.any(String), type: 'invalid_request_error', param, code },
  });
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

/** The timer count once it is back to `before` or lower, or the last count after a second. */
async function settledTimers(before: number): Promise<number> {
  const until = Date.now() + 1000;
  for (;;) {
    const now = timers();
    if (now <= before || Date.now() > until) return now;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Sends a POST over a raw socket: the head, then `chunk` again and again while the server reads,
 * or once and then silence. Resolves with what the server answered and whether it closed the
 * connection while the client still had more to send.
 */
function rawPost(
  base: string,
  head: Record<string, string>,
  chunk: string,
  keepSending: boolean,
): Promise<{ answer: string; closedByServer: boolean }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let answer = '';
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ answer, closedByServer });
    };
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      answer += data;
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const fields = Object.entries(head).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\n${fields.join('')}\r\n`);
    const pump = () => {
      while (!done && socket.write(chunk)) {
        if (!keepSending) return;
      }
      if (!done && keepSending) socket.once('drain', pump);
    };
    pump();
    // A server that neither answers nor closes is caught by the test's own timeout.
  });
}

export function describeRequestGuards(options: GuardOptions): void {
  const json = { 'content-type': 'application/json' };
  const chat = JSON.stringify({ model: 'gpt-4.1', messages });

  test.each<[string, Record<string, string>, string]>([
    ['text/plain', { 'content-type': 'text/plain' }, chat],
    [
      'text/plain;charset=UTF-8 (fetch with a string body)',
      { 'content-type': 'text/plain;charset=UTF-8' },
      chat,
    ],
    [
      'a urlencoded form',
      { 'content-type': 'application/x-www-form-urlencoded' },
      'model=gpt-4.1&messages[0][role]=user&messages[0][content]=hi',
    ],
    [
      'multipart/form-data',
      { 'content-type': 'multipart/form-data; boundary=x' },
      `--x\r\nContent-Disposition: form-data; name="model"\r\n\r\ngpt-4.1\r\n--x--\r\n`,
    ],
    ['a JSON look-alike type', { 'content-type': 'application/jsonp' }, chat],
  ])('%s is refused with a 415 and no upstream call', async (_name, headers, body) => {
    const app = await options.start({});
    await expectProblem(await post(app.base, body, headers), 415, 'unsupported_media_type');
    expect(app.upstreamCalls()).toBe(0);
  });

  test('a body without a Content-Type is refused with a 415', async () => {
    const app = await options.start({});
    const { answer } = await rawPost(app.base, { 'content-length': String(chat.length) }, chat, false);
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    expect(answer).toContain('"code":"unsupported_media_type"');
    expect(app.upstreamCalls()).toBe(0);
  });

  test('application/json with a UTF-8 charset is served', async () => {
    const app = await options.start({});
    const res = await post(app.base, chat, { 'content-type': 'Application/JSON; charset="UTF-8"' });
    expect(res.status).toBe(200);
    expect(app.upstreamCalls()).toBe(1);
  });

  test('a body nested 5,000 levels deep gets a 400 in OpenAI shape and leaves no timer behind', async () => {
    const app = await options.start({});
    const deep = `{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}],"metadata":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    await post(app.base, chat, json); // warm up: connections, lazy handles
    const before = timers();
    await expectProblem(await post(app.base, deep, json), 400, 'invalid_request', 'request');
    expect(await settledTimers(before)).toBeLessThanOrEqual(before);
    expect(app.upstreamCalls()).toBe(1);
  });

  test('stream that is not a boolean gets a 400', async () => {
    const app = await options.start({});
    const body = JSON.stringify({ model: 'gpt-4.1', messages, stream: 'true' });
    await expectProblem(await post(app.base, body, json), 400, 'invalid_request', 'stream');
    expect(app.upstreamCalls()).toBe(0);
  });

  if (!options.readsBody) return;

  test('JSON in another charset is refused with a 415', async () => {
    const app = await options.start({});
    const res = await post(app.base, chat, { 'content-type': 'application/json; charset=latin1' });
    await expectProblem(res, 415, 'unsupported_media_type');
    expect(app.upstreamCalls()).toBe(0);
  });

  test('an endless body gets a 413 and its connection is closed, not drained', async () => {
    const app = await options.start({ bodyLimit: 1024 });
    const { answer, closedByServer } = await rawPost(
      app.base,
      { ...json, 'transfer-encoding': 'chunked' },
      `4000\r\n${'x'.repeat(0x4000)}\r\n`,
      true,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(closedByServer).toBe(true);
    expect(app.upstreamCalls()).toBe(0);
  });

  test('a body that arrives too slowly gets a 408 after bodyTimeoutMs and its connection is closed', async () => {
    const app = await options.start({ bodyTimeoutMs: 200 });
    const started = Date.now();
    const { answer, closedByServer } = await rawPost(
      app.base,
      { ...json, 'content-length': '1000' },
      '{"mod',
      false,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toContain('"code":"request_timeout"');
    expect(closedByServer).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(app.upstreamCalls()).toBe(0);
  });
}
