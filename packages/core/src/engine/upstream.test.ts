import http from 'node:http';
import { resolveConfig } from '../config';
import { AttemptFailure } from './failure';
import { ProviderRuntime } from './runtime';
import { AttemptScope, RequestScope } from './scope';
import { requestWhole } from './upstream';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

describe('requestWhole', () => {
  let server: http.Server;
  let handler: Handler;
  let provider: ProviderRuntime;
  let scope: RequestScope;

  beforeEach(async () => {
    server = http.createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const config = resolveConfig({
      providers: [{ id: 'p', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' }],
      models: { m: { deployments: [{ provider: 'p', model: 'm' }] } },
    });
    provider = new ProviderRuntime(config.providers.get('p')!);
    scope = new RequestScope(10_000, undefined);
  });
  afterEach(async () => {
    scope.dispose();
    await provider.dispatcher.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function failure(promise: Promise<unknown>): Promise<AttemptFailure> {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(AttemptFailure);
      return error as AttemptFailure;
    }
    throw new Error('expected the attempt to fail');
  }

  test('reads a 2xx body whole, without a byte-order mark, and leaves no abort listener', async () => {
    handler = (_req, res) => {
      res.write('\ufeff{"a":');
      setTimeout(() => res.end('1}'), 5);
    };
    const attempt = new AttemptScope(scope);
    const answer = await requestWhole(provider, 0, 'POST', '/v1/x', '{}', attempt);
    expect(answer).toEqual({ statusCode: 200, text: '{"a":1}' });
    expect(attempt.signal.listenerCount).toBe(0);
    attempt.dispose();
  });

  test('a 2xx body over the limit fails the attempt, declared or sent, without reading the rest', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('x'.repeat(10)); // and never the rest
    };
    const declared = await failure(
      requestWhole(provider, 0, 'POST', '/', '{}', new AttemptScope(scope), 100),
    );
    expect(declared.classification).toMatchObject({ outcome: 'bad_response' });
    expect(declared.message).toContain('larger than the limit of 100 bytes');

    handler = (_req, res) => {
      res.writeHead(200); // chunked: the size shows only as it arrives
      const timer = setInterval(() => res.write('y'.repeat(40)), 1);
      res.on('close', () => clearInterval(timer));
    };
    const sent = await failure(requestWhole(provider, 0, 'POST', '/', '{}', new AttemptScope(scope), 100));
    expect(sent.message).toContain('larger than the limit of 100 bytes');
  });

  test('a non-2xx status is classified from the head of its body, however long the body is', async () => {
    handler = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' });
      res.write(
        JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }).padEnd(70_000, ' '),
      );
      const timer = setInterval(() => res.write(' '.repeat(1000)), 1); // an endless body
      res.on('close', () => clearInterval(timer));
    };
    const error = await failure(requestWhole(provider, 0, 'POST', '/', '{}', new AttemptScope(scope)));
    expect(error.classification).toMatchObject({ outcome: 'server_error', status: 503, retryAfterMs: 2000 });
    expect(error.message).toContain('overloaded');
  });

  test("the attempt's clock stops a body that never ends: a timeout, the listener removed", async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"partial":');
    };
    const attempt = new AttemptScope(scope);
    attempt.arm(50, 'timeout');
    const error = await failure(requestWhole(provider, 0, 'POST', '/', '{}', attempt));
    expect(error.classification.outcome).toBe('timeout');
    expect(attempt.signal.listenerCount).toBe(0);
    attempt.dispose();
  });

  test('an attempt aborted before it starts sends nothing', async () => {
    let requests = 0;
    handler = (_req, res) => {
      requests++;
      res.end('{}');
    };
    const attempt = new AttemptScope(scope);
    scope.abort('caller', new Error('gone'));
    const error = await failure(requestWhole(provider, 0, 'POST', '/', '{}', attempt));
    expect(error.classification.outcome).toBe('aborted');
    expect(requests).toBe(0);
  });
});
