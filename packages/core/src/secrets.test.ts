/**
 * No configured key, in any form, reaches a health report, an event, an error, a report or the
 * metrics — even when an upstream echoes the key back in its error message, and when a base URL
 * carries credentials.
 */
import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient } from '.';
import { hello } from './__tests__/support';

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
