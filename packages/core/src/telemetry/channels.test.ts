import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { fault, MockProvider } from '@ai-failover/testing';
import { AiClient } from '../client';
import { CHANNELS } from './channels';
import { Telemetry } from './request-trace';

const hello = { messages: [{ role: 'user', content: 'hello there' }] };

describe('diagnostics channels', () => {
  let mocks: MockProvider[];
  let client: AiClient;
  const seen: { channel: string; message: Record<string, unknown>; store: string | undefined }[] = [];
  const storage = new AsyncLocalStorage<string>();
  const listeners = Object.values(CHANNELS).map((name) => {
    const listener = (message: unknown) =>
      seen.push({ channel: name, message: message as Record<string, unknown>, store: storage.getStore() });
    return [name, listener] as const;
  });

  beforeEach(async () => {
    seen.length = 0;
    mocks = await Promise.all(['a', 'b'].map((name) => MockProvider.start({ name })));
    // No tracing option: the channels work without OpenTelemetry.
    client = new AiClient({
      providers: mocks.map((m) => ({ id: m.name, baseUrl: m.baseUrl })),
      models: { chat: { deployments: mocks.map((m) => ({ provider: m.name, model: `${m.name}-model` })) } },
      policy: { retries: 0 },
    });
    for (const [name, listener] of listeners) subscribe(name, listener);
  });
  afterEach(async () => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
    await client.close();
    await Promise.all(mocks.map((m) => m.close()));
  });

  test('a request and each attempt are announced at their start and end, in the caller’s async context', async () => {
    mocks[0]!.script(fault.status(503));
    const { report } = await storage.run('caller', () => client.chat(hello));
    expect(seen.map((s) => s.channel)).toEqual([
      'ai-failover:request:start',
      'ai-failover:attempt:start',
      'ai-failover:attempt:end',
      'ai-failover:attempt:start',
      'ai-failover:attempt:end',
      'ai-failover:request:end',
    ]);
    const requestId = report.requestId;
    expect(seen[0]!.message).toEqual({ requestId, operation: 'chat', model: 'chat', stream: false });
    expect(seen[1]!.message).toEqual({
      requestId,
      deployment: 'a/a-model',
      provider: 'a',
      model: 'a-model',
      group: 'chat',
    });
    expect(seen[2]!.message).toEqual({ requestId, attempt: report.attempts[0] });
    expect(seen[4]!.message).toEqual({ requestId, attempt: report.attempts[1] });
    expect(seen[5]!.message).toEqual({
      requestId,
      operation: 'chat',
      model: 'chat',
      report,
      error: undefined,
    });
    // attempt:start runs where the HTTP call is made: an APM can bind its context there.
    expect(seen[1]!.store).toBe('caller');
    expect(seen[3]!.store).toBe('caller');
  });

  test('a stream ends its request when the stream ends; a failure carries its error', async () => {
    const stream = await client.chatStream(hello);
    expect(seen.map((s) => s.channel).at(-1)).toBe('ai-failover:attempt:end');
    for await (const _chunk of stream) {
      // drain
    }
    const report = await stream.done;
    expect(seen.at(-1)).toMatchObject({
      channel: 'ai-failover:request:end',
      message: { report, error: undefined },
    });
    expect(seen[0]!.message).toMatchObject({ stream: true });

    seen.length = 0;
    for (const mock of mocks) mock.setDefault(fault.status(500));
    const error = await client.chat(hello).catch((e: unknown) => e);
    expect(seen.at(-1)).toMatchObject({ channel: 'ai-failover:request:end', message: { error } });
  });

  test('nothing is built for a request nobody observes', () => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
    expect(new Telemetry(undefined).request('r', 'chat', 'chat', false, hello)).toBeUndefined();
    subscribe(CHANNELS.attemptEnd, listeners[3]![1]);
    expect(new Telemetry(undefined).request('r', 'chat', 'chat', false, hello)).toBeDefined();
    unsubscribe(CHANNELS.attemptEnd, listeners[3]![1]);
    for (const [name, listener] of listeners) subscribe(name, listener);
  });
});
