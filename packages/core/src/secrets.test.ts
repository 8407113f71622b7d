/**
 * No configured key, in any form, reaches a health report, an event, an error, a report or the
 * metrics — even when an upstream echoes the key back in its error message, and when a base URL
 * carries credentials.
 */
import { inspect } from 'node:util';
import { fault, listen, MockProvider, type RecordedRequest } from '@ai-failover/testing';
import { AiClient } from '.';
import { hello } from './__tests__/support';
import { createAiHttpHandler } from './http';

const KEYS = ['sk-live-AbCdEf0123456789xyz', 'sk-live-SecondKey9876543210', 'env-key-QwErTy-5555-zzzz'];
const URL_PASSWORD = 'url-pass-Secret-4242';

/** Every form a key could leak in. */
function forms(secret: string): string[] {
  return [
    secret,
    secret.slice(3),
    secret.slice(-12),
    Buffer.from(secret).toString('base64'),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ];
}

test('no key or URL credential appears in reports, events, errors or metrics', async () => {
  const a = await MockProvider.start({ name: 'a' });
  const b = await MockProvider.start({ name: 'b' });
  process.env.AI_FAILOVER_TEST_KEY = KEYS[2];
  const seen: unknown[] = [];
  const withCredentials = a.baseUrl.replace('http://', `http://user:${URL_PASSWORD}@`);
  const client = new AiClient({
    providers: [
      { id: 'a', baseUrl: withCredentials, apiKey: [KEYS[0]!, KEYS[1]!] },
      { id: 'b', baseUrl: b.baseUrl, apiKey: { env: 'AI_FAILOVER_TEST_KEY' } },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    policy: { retries: 0 },
    metrics: true,
    logger: {
      debug: (...args) => seen.push(args),
      info: (...args) => seen.push(args),
      warn: (...args) => seen.push(args),
      error: (...args) => seen.push(args),
    },
  });
  for (const event of [
    'attempt',
    'success',
    'failover',
    'requestError',
    'breakerOpen',
    'healthChange',
    'stateChange',
  ] as const) {
    client.on(event, (payload) => seen.push(payload));
  }
  try {
    // Upstreams that echo the key they were given, the way some providers do.
    a.handle((req) =>
      fault.status(401, { message: `Incorrect API key provided: ${req.apiKey}. Key: Bearer ${req.apiKey}` }),
    );
    b.handle((req) => fault.status(500, { message: `upstream failed for key ${req.apiKey}` }));
    for (let i = 0; i < 3; i++) seen.push(await client.chat(hello).catch((error: unknown) => error));
    b.handle(null);
    seen.push(await client.chat(hello));
    const stream = await client.chatStream(hello);
    for await (const chunk of stream) seen.push(chunk);
    seen.push(await stream.done);
    seen.push(
      client.health(),
      client.readiness(),
      client.liveness(),
      client.usage(),
      await client.metrics!.render(),
    );

    // The keys did reach the providers (so the test would see a leak), and nothing else did.
    expect(a.requests.some((r) => r.apiKey === KEYS[0])).toBe(true);
    expect(b.requests.some((r) => r.apiKey === KEYS[2])).toBe(true);
    const text = seen
      .map((value) =>
        value instanceof Error
          ? `${value.message} ${value.stack} ${JSON.stringify({ ...value })}`
          : typeof value === 'string'
            ? value
            : JSON.stringify(value),
      )
      .join('\n');
    expect(text).toContain('Incorrect API key provided');
    for (const secret of [...KEYS, URL_PASSWORD]) {
      for (const form of forms(secret)) expect(text).not.toContain(form);
    }
  } finally {
    delete process.env.AI_FAILOVER_TEST_KEY;
    await client.close();
    await Promise.all([a.close(), b.close()]);
  }
});

test('credentials an upstream echoes back reach no error, cause, event, report, log, route or page', async () => {
  const keys = ['sk-live-EchoKeyOne0123456789', 'sk-live-EchoKeyTwo9876543210'];
  const headerKey = 'hdr-XApiKey-7777-topsecret';
  const azureKey = 'azureKey5555TopSecretValue';
  const a = await MockProvider.start({ name: 'a' });
  const b = await MockProvider.start({ name: 'b' });
  const seen: unknown[] = [];
  const client = new AiClient({
    providers: [
      {
        id: 'a',
        baseUrl: a.baseUrl.replace('http://', `http://user:${URL_PASSWORD}@`),
        apiKey: keys,
        headers: { 'x-api-key': headerKey, 'OpenAI-Organization': 'org-visible' },
      },
      { id: 'b', baseUrl: b.baseUrl, headers: { 'api-key': azureKey } },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'a', model: 'm' },
          { provider: 'b', model: 'm' },
        ],
      },
    },
    policy: { retries: 0, breaker: { consecutiveFailures: 0, volumeThreshold: 1000 } },
    metrics: true,
    logger: {
      debug: (...args) => seen.push(args),
      info: (...args) => seen.push(args),
      warn: (...args) => seen.push(args),
      error: (...args) => seen.push(args),
    },
  });
  for (const event of [
    'attempt',
    'success',
    'failover',
    'requestError',
    'healthChange',
    'stateChange',
  ] as const) {
    client.on(event, (payload) => seen.push(payload));
  }
  const http = createAiHttpHandler({
    client,
    openai: { authorize: () => true },
    health: { authorize: () => true },
    dashboard: true,
  });
  const served = await listen((req, res) => {
    void http.handle(req, res);
  });
  // Every upstream echoes every credential it was sent, in error bodies and in-stream errors.
  const echo = (req: RecordedRequest) =>
    `bad credentials: Bearer ${req.apiKey} x-api-key=${req.headers['x-api-key']} api-key=${req.headers['api-key']}`;
  const body = (extra: object = {}) => ({
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  try {
    a.handle((req) => fault.status(401, { message: echo(req) }));
    b.handle((req) => fault.status(500, { message: echo(req) }));
    seen.push(await (await fetch(`${served.base}/v1/chat/completions`, body())).text());
    seen.push(await client.chat(hello).catch((error: unknown) => error));
    b.handle((req) => fault.status(400, { message: echo(req) }));
    seen.push(await (await fetch(`${served.base}/v1/chat/completions`, body())).text());
    seen.push(await client.chat(hello).catch((error: unknown) => error));
    // After the first token: an in-stream error, through the route and through the client.
    b.handle((req) => (req.stream ? fault.streamError(2, { message: echo(req) }) : undefined));
    seen.push(await (await fetch(`${served.base}/v1/chat/completions`, body({ stream: true }))).text());
    const stream = await client.chatStream(hello);
    seen.push(
      await (async () => {
        for await (const chunk of stream) seen.push(chunk);
      })().catch((error: unknown) => error),
    );
    seen.push(await stream.done);
    for (const path of [
      '/health',
      '/health/ready',
      '/metrics',
      '/ai-failover/snapshot.json',
      '/ai-failover',
    ]) {
      seen.push(await (await fetch(`${served.base}${path}`)).text());
    }
    seen.push(client.health(), client.usage(), JSON.stringify(client.config.providers.get('a')));
    seen.push(inspect(client.config, { depth: 8 }), inspect(client, { depth: 8 }));

    // The credentials did reach the upstreams, so a leak would show.
    expect(a.requests.some((r) => r.apiKey === keys[0] && r.headers['x-api-key'] === headerKey)).toBe(true);
    expect(b.requests.some((r) => r.headers['api-key'] === azureKey)).toBe(true);
    const text = seen.map(describe).join('\n');
    expect(text).toContain('bad credentials');
    expect(text).toContain('AI_STREAM_INTERRUPTED');
    for (const secret of [...keys, headerKey, azureKey, URL_PASSWORD]) {
      for (const form of forms(secret)) expect(text).not.toContain(form);
    }
  } finally {
    await served.close();
    await http.close();
    await client.close();
    await Promise.all([a.close(), b.close()]);
  }
});

/** Everything a value shows: an error's message, stack and fields, and its causes, recursively. */
function describe(value: unknown, depth = 0): string {
  if (value instanceof Error) {
    const cause = depth < 5 && value.cause !== undefined ? ` cause: ${describe(value.cause, depth + 1)}` : '';
    return `${value.message} ${value.stack} ${JSON.stringify({ ...value })}${cause}`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
