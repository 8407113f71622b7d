import 'reflect-metadata';
import type { MockProvider } from '@ai-failover/testing';
import { AiFailoverModule, AiFailoverService } from '.';
import {
  appStarter,
  closeAll,
  configFor,
  hello,
  PLATFORMS,
  type RunningApp,
  startMocks,
} from './__tests__/support';

/** Reads a response body until `pattern` shows up in it; returns what was read. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

describe.each(PLATFORMS)('dashboard (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let running: RunningApp | undefined;

  beforeEach(async () => {
    mocks = await startMocks(['a']);
  });

  afterEach(async () => {
    await running?.close();
    running = undefined;
    await closeAll(mocks);
  });

  it('serves the page and its snapshot behind authorize', async () => {
    running = await startApp({
      imports: [
        AiFailoverModule.forRoot(configFor(mocks), {
          dashboard: {
            path: 'ops/ai',
            authorize: (req) => req.headers['x-admin'] === 'yes',
            title: 'Ops AI',
          },
        }),
      ],
    });
    const admin = { 'x-admin': 'yes' };
    expect((await fetch(`${running.url}/ops/ai`)).status).toBe(401);
    expect((await fetch(`${running.url}/ops/ai/events`)).status).toBe(401);
    const page = await fetch(`${running.url}/ops/ai`, { headers: admin });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toBeTruthy();
    expect(await page.text()).toContain('Ops AI');
    const snapshot = await fetch(`${running.url}/ops/ai/snapshot.json`, { headers: admin });
    expect(snapshot.status).toBe(200);
    const state = (await snapshot.json()) as { health: { deployments: Array<{ id: string }> } };
    expect(state.health.deployments.map((d) => d.id)).toEqual(['a/a-model']);
    expect(JSON.stringify(state)).not.toContain('sk-test');
    expect((await fetch(`${running.url}/ops/ai/other`, { headers: admin })).status).toBe(404);
    expect((await fetch(`${running.url}/ai-failover`)).status).toBe(404);
  });

  it('streams a snapshot on /events, and app.close() ends the stream instead of waiting for it', async () => {
    running = await startApp(
      { imports: [AiFailoverModule.forRoot(configFor(mocks), { dashboard: true, isGlobal: true })] },
      // Without forced closing, the HTTP server waits for open connections when it closes.
      { app: { forceCloseConnections: false } },
    );
    const page = await fetch(`${running.url}/ai-failover`);
    expect(page.status).toBe(200);
    await page.text();
    const events = await fetch(`${running.url}/ai-failover/events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = events.body!.getReader();
    const received = await readUntil(reader, /event: snapshot\ndata: .*\n\n/);
    const snapshot = /event: snapshot\ndata: (.*)\n\n/.exec(received)![1]!;
    expect(JSON.parse(snapshot)).toMatchObject({
      intervalMs: 1000,
      health: { status: 'healthy' },
      usage: expect.any(Object),
    });

    const started = Date.now();
    await running.app.close();
    running = undefined;
    expect(Date.now() - started).toBeLessThan(1000);
    // The server ended the stream cleanly: reading it to its end does not fail.
    let ended = false;
    while (!ended) ended = (await reader.read()).done;
    expect(ended).toBe(true);
  });

  it('counts calls made through the service in its snapshot', async () => {
    running = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { dashboard: { intervalMs: 100 } })],
    });
    await running.app.get(AiFailoverService).chat(hello);
    const state = (await (await fetch(`${running.url}/ai-failover/snapshot.json`)).json()) as {
      counters: { requests: number; successes: number };
    };
    expect(state.counters).toMatchObject({ requests: 1, successes: 1 });
  });
});
