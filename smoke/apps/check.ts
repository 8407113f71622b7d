/**
 * What every smoke app checks, through the packed packages only: two mock providers from
 * `@ai-failover/testing` on 127.0.0.1, a config over them, and real HTTP calls to the app.
 */
import { strict as assert } from 'node:assert';
import { fault, MockProvider } from '@ai-failover/testing';

/** Bearer token of the OpenAI-compatible routes. */
export const TOKEN = 'smoke-token';

export interface Mocks {
  primary: MockProvider;
  backup: MockProvider;
  close(): Promise<void>;
}

export async function startMocks(): Promise<Mocks> {
  const [primary, backup] = await Promise.all([
    MockProvider.start({ name: 'primary' }),
    MockProvider.start({ name: 'backup' }),
  ]);
  return {
    primary,
    backup,
    close: async () => {
      await Promise.all([primary.close(), backup.close()]);
    },
  };
}

/** One model group, `chat`: the primary, then the backup; no retry on the same deployment. */
export function configFor(mocks: Mocks) {
  return {
    providers: [
      { id: 'primary', baseUrl: mocks.primary.baseUrl, apiKey: 'sk-smoke-primary-0123456789' },
      { id: 'backup', baseUrl: mocks.backup.baseUrl, apiKey: 'sk-smoke-backup-0123456789' },
    ],
    models: {
      chat: {
        deployments: [
          { provider: 'primary', model: 'mock-model' },
          { provider: 'backup', model: 'mock-model' },
        ],
      },
    },
    policy: { retries: 0 },
  };
}

async function call(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/**
 * The app's own route (`POST /ask`, a call through `req.ai` / `ctx.ai` / the service) fails over
 * from a primary answering 503 to the backup; `GET /health` answers 200; the OpenAI-compatible
 * route answers with the authorized token and refuses without it. `extra` runs more checks.
 */
export async function exercise(base: string, mocks: Mocks, label: string, extra?: () => Promise<string>) {
  mocks.primary.script(fault.status(503));
  const ask = await post(`${base}/ask`, { q: 'hello' });
  assert.equal(ask.status, 200, `${label}: POST /ask answered ${ask.status} ${JSON.stringify(ask.body)}`);
  assert.deepEqual(
    ask.body,
    { answer: 'Hello from backup', servedBy: 'backup/mock-model' },
    `${label}: /ask`,
  );
  assert.deepEqual(
    mocks.primary.requests.map((r) => r.status),
    [503],
    `${label}: the primary should have answered one 503`,
  );

  const health = await call(`${base}/health`);
  assert.equal(health.status, 200, `${label}: GET /health answered ${health.status}`);
  assert.equal(typeof (health.body as { status?: unknown }).status, 'string', `${label}: /health body`);

  const chat = { model: 'chat', messages: [{ role: 'user', content: 'hi' }] };
  const completion = await post(`${base}/v1/chat/completions`, chat, { authorization: `Bearer ${TOKEN}` });
  assert.equal(completion.status, 200, `${label}: /v1/chat/completions answered ${completion.status}`);
  const choices = (completion.body as { choices: { message: { content: string } }[] }).choices;
  assert.equal(choices[0]?.message.content, 'Hello from primary', `${label}: /v1/chat/completions content`);
  const refused = await post(`${base}/v1/chat/completions`, chat);
  assert.equal(
    refused.status,
    401,
    `${label}: /v1/chat/completions without the token answered ${refused.status}`,
  );

  const more = extra ? `; ${await extra()}` : '';
  console.log(
    `ok ${label}: /ask failed over to backup/mock-model after a 503; /health 200; /v1/chat/completions 200 (401 without the token)${more}`,
  );
}

export { assert };
