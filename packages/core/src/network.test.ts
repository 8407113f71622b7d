/**
 * Reaching providers from real networks: the proxy of the environment, dispatchers of the app's,
 * and extra trusted certificates, against a real proxy and real TLS on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockProvider } from '@ai-failover/testing';
import { Agent, ProxyAgent } from 'undici';
import { AiClient, type AiFailoverConfig, ConfigError, type ProviderConfig, resolveConfig } from '../src';
import { type RecordingProxy, startRecordingProxy } from './__tests__/recording-proxy';
import { hello } from './__tests__/support';

const CERT = readFileSync(join(__dirname, '__tests__/fixtures/loopback-cert.pem'), 'utf8');
const KEY = readFileSync(join(__dirname, '__tests__/fixtures/loopback-key.pem'), 'utf8');
const API_KEY = 'sk-test-proxy-Secret-0123456789';

const PROXY_VARS = ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'no_proxy', 'NO_PROXY'];

let proxy: RecordingProxy;
let tls: MockProvider;
let plain: MockProvider;
const clients: AiClient[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  [proxy, tls, plain] = await Promise.all([
    startRecordingProxy(),
    MockProvider.start({ name: 'tls', tls: { key: KEY, cert: CERT } }),
    MockProvider.start({ name: 'plain' }),
  ]);
});
afterAll(async () => {
  await Promise.all([proxy.close(), tls.close(), plain.close()]);
});
beforeEach(() => {
  for (const name of PROXY_VARS) {
    saved[name] = process.env[name];
    delete process.env[name];
  }
  proxy.requests.length = 0;
  tls.reset();
  plain.reset();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const name of PROXY_VARS) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function client(providers: ProviderConfig[], extra: Partial<AiFailoverConfig> = {}): AiClient {
  const created = new AiClient({
    providers,
    models: Object.fromEntries(
      providers.map((p) => [p.id, { deployments: [{ provider: p.id, model: 'm' }] }]),
    ),
    policy: { retries: 0 },
    ...extra,
  });
  clients.push(created);
  return created;
}

const tlsProvider = (extra: Partial<ProviderConfig> = {}): ProviderConfig => ({
  id: 'tls',
  baseUrl: tls.baseUrl,
  apiKey: API_KEY,
  ca: CERT,
  ...extra,
});
const plainProvider = (extra: Partial<ProviderConfig> = {}): ProviderConfig => ({
  id: 'plain',
  baseUrl: plain.baseUrl,
  apiKey: API_KEY,
  ...extra,
});

describe('the proxy of the environment', () => {
  test('HTTPS_PROXY carries an https provider through a CONNECT tunnel: the key never crosses the proxy in clear', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    const ai = client([tlsProvider()]);
    const { response } = await ai.chat(hello, { model: 'tls' });
    expect(response.choices[0]?.message.content).toBe('Hello from tls');
    const stream = await ai.chatStream(hello, { model: 'tls' });
    for await (const _ of stream) {
      // drain
    }
    expect(tls.requests).toHaveLength(2);
    expect(tls.requests[0]!.apiKey).toBe(API_KEY);

    const port = new URL(tls.baseUrl).port;
    expect(proxy.requests.map((r) => `${r.method} ${r.target}`)).toContain(`CONNECT 127.0.0.1:${port}`);
    expect(proxy.requests.every((r) => r.method === 'CONNECT')).toBe(true);
    const seen = proxy.seen();
    expect(seen.length).toBeGreaterThan(1000); // the TLS records went through it
    expect(seen).not.toContain(API_KEY);
    expect(seen).not.toContain('Hello from tls');
    expect(JSON.stringify(proxy.requests)).not.toContain(API_KEY);
  });

  test('HTTP_PROXY carries a plain-http provider too; its key then crosses the proxy in clear', async () => {
    process.env.http_proxy = proxy.url;
    const ai = client([plainProvider()]);
    const { response } = await ai.chat(hello, { model: 'plain' });
    expect(response.choices[0]?.message.content).toBe('Hello from plain');
    expect(proxy.requests).toHaveLength(1);
    expect(proxy.seen()).toContain(API_KEY);
  });

  test('NO_PROXY, proxyFromEnv: false, and a variable for the other scheme keep calls direct', async () => {
    process.env.HTTPS_PROXY = proxy.url;
    process.env.NO_PROXY = 'localhost,127.0.0.1';
    await client([tlsProvider()]).chat(hello, { model: 'tls' });
    delete process.env.NO_PROXY;
    await client([tlsProvider()], { proxyFromEnv: false }).chat(hello, { model: 'tls' });
    // HTTPS_PROXY is for https providers only.
    await client([plainProvider()]).chat(hello, { model: 'plain' });
    expect(tls.requests).toHaveLength(2);
    expect(plain.requests).toHaveLength(1);
    expect(proxy.requests).toHaveLength(0);
  });

  test('a malformed proxy variable fails at start-up, naming it but not its value', () => {
    process.env.HTTPS_PROXY = 'proxy.internal:3128 user:hunter2';
    const error = (() => {
      try {
        resolveConfig({
          providers: [tlsProvider()],
          models: { tls: { deployments: [{ provider: 'tls', model: 'm' }] } },
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      {
        path: 'proxyFromEnv',
        message: expect.stringMatching(/^environment variable HTTPS_PROXY must be an http\(s\) URL/),
      },
    ]);
    expect((error as Error).message).not.toContain('hunter2');
    // Not read at all when no provider would use it.
    expect(() =>
      resolveConfig({
        providers: [tlsProvider()],
        models: { tls: { deployments: [{ provider: 'tls', model: 'm' }] } },
        proxyFromEnv: false,
      }),
    ).not.toThrow();
  });
});

describe('dispatchers of the app', () => {
  test("a provider's own dispatcher, then the config's, carry its calls; the client never closes them", async () => {
    const viaProxy = new ProxyAgent(proxy.url);
    const direct = new Agent({ connect: { ca: CERT } });
    try {
      const ai = client(
        [plainProvider({ dispatcher: viaProxy }), { id: 'tls', baseUrl: tls.baseUrl, apiKey: API_KEY }],
        { dispatcher: direct },
      );
      await ai.chat(hello, { model: 'plain' });
      await ai.chat(hello, { model: 'tls' });
      expect(proxy.requests).toHaveLength(1);
      expect(proxy.requests[0]!.target).toBe(`127.0.0.1:${new URL(plain.baseUrl).port}`);
      expect(tls.requests).toHaveLength(1);

      await ai.close();
      // Both are still open and usable by the app.
      for (const [dispatcher, mock] of [
        [viaProxy, plain],
        [direct, tls],
      ] as const) {
        const origin = new URL(mock.baseUrl).origin;
        const res = await dispatcher.request({ origin, path: '/v1/models', method: 'GET' });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      }
    } finally {
      await Promise.all([viaProxy.close(), direct.close()]);
    }
  });

  test('a dispatcher is checked at start-up, and ca is refused beside one', () => {
    const issues = (config: Partial<AiFailoverConfig>, provider: Partial<ProviderConfig> = {}) => {
      try {
        resolveConfig({
          providers: [{ ...plainProvider(), ...provider }],
          models: { plain: { deployments: [{ provider: 'plain', model: 'm' }] } },
          ...config,
        });
        return [];
      } catch (error) {
        return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(issues({}, { dispatcher: { request() {} } as never })).toEqual([
      'providers[0].dispatcher: must be an undici Dispatcher (Agent, ProxyAgent, Pool...), got an object',
    ]);
    const agent = new Agent();
    expect(issues({ dispatcher: agent }, { ca: CERT })).toEqual([
      "providers[0].ca: has no effect with the config's dispatcher: give the certificates to the dispatcher (connect: { ca })",
    ]);
    expect(issues({}, { ca: 'not a certificate' })).toEqual([
      'providers[0].ca: must be a PEM certificate ("-----BEGIN CERTIFICATE-----...")',
    ]);
    expect(issues({ proxyFromEnv: 'no' as never })).toEqual([
      'proxyFromEnv: must be true or false, got a string',
    ]);
    void agent.close();
  });
});

describe('trusted certificates', () => {
  test('ca lets a provider with a private certificate answer; without it the TLS handshake fails', async () => {
    const trusting = client([tlsProvider()]);
    expect((await trusting.chat(hello, { model: 'tls' })).response.choices[0]?.message.content).toBe(
      'Hello from tls',
    );
    const distrusting = client([tlsProvider({ ca: undefined })]);
    const error = await distrusting.chat(hello, { model: 'tls' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'AI_ALL_ATTEMPTS_FAILED' });
    expect((error as { attempts: { outcome: string }[] }).attempts[0]!.outcome).toBe('connection_error');
    expect(tls.requests).toHaveLength(1);
  });
});
