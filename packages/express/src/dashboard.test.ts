import { aiFailover } from '@ai-failover/express';
import { type Listening, listen } from '@ai-failover/testing';
import { providers } from '@ai-failover/testing/support';
import express from 'express';

describe('the dashboard option', () => {
  let env: Awaited<ReturnType<typeof providers>>;
  let app: Listening | undefined;
  let mw: ReturnType<typeof aiFailover> | undefined;
  afterEach(async () => {
    await mw?.close();
    await app?.close();
    await env.close();
    app = undefined;
  });

  test('serves the page, its snapshot and its event stream, behind authorize(req)', async () => {
    env = await providers();
    mw = aiFailover(env.config(), {
      dashboard: { path: '/ops/ai', authorize: (req) => req.get('x-admin') === 'yes' },
    });
    const web = express();
    web.use(mw);
    app = await listen(web);

    expect((await fetch(`${app.base}/ops/ai`)).status).toBe(401);
    const page = await fetch(`${app.base}/ops/ai`, { headers: { 'x-admin': 'yes' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toBeTruthy();
    const snapshot = await fetch(`${app.base}/ops/ai/snapshot.json`, { headers: { 'x-admin': 'yes' } });
    const body = (await snapshot.json()) as { health: { deployments: Array<{ id: string }> } };
    expect(body.health.deployments.map((d) => d.id).sort()).toEqual([
      'a/gpt-4.1',
      'a/text-embedding-3-small',
      'b/gpt-4.1',
    ]);
    expect(JSON.stringify(body)).not.toContain('secret');

    const controller = new AbortController();
    const events = await fetch(`${app.base}/ops/ai/events`, {
      headers: { 'x-admin': 'yes' },
      signal: controller.signal,
    });
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = events.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toMatch(/event: snapshot|retry:/);
    controller.abort();
  });

  test('a bad dashboard option fails at creation, naming it', () => {
    expect(() =>
      aiFailover({ providers: [], models: {} } as never, { dashboard: { pth: '/x' } as never }),
    ).toThrow();
    return providers().then((e) => {
      env = e;
      expect(() => aiFailover(env.config(), { dashboard: { path: 'no-slash' } })).toThrow(
        /express\.dashboard\.path/,
      );
      expect(() => aiFailover(env.config(), { dashboard: { authorize: 'x' as never } })).toThrow(
        /express\.dashboard\.authorize/,
      );
    });
  });
});
