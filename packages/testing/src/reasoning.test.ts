import { chatBody, postJson, readSse } from './__tests__/client';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

describe('fault.reasoning', () => {
  let mock: MockProvider;
  let url: string;

  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'thinker' });
    url = `${mock.baseUrl}/chat/completions`;
  });
  afterEach(() => mock.reset());
  afterAll(() => mock.close());

  it('streams reasoning deltas as they come, one every everyMs for thinkMs, then the answer', async () => {
    mock.script(fault.reasoning({ thinkMs: 300, everyMs: 50 }));
    const started = Date.now();
    const { events, times } = await readSse(await postJson(url, chatBody({ stream: true })));
    const chunks = events
      .slice(0, -1)
      .map((e) => JSON.parse(e) as { choices: { delta: Record<string, string> }[] });
    const deltas = chunks.map((c) => c.choices[0]?.delta ?? {});
    expect(deltas[0]).toEqual({ role: 'assistant', content: '' });
    const thinking = deltas.slice(1, 7);
    expect(thinking.map((d) => d.reasoning_content)).toEqual([
      'step 1 ',
      'step 2 ',
      'step 3 ',
      'step 4 ',
      'step 5 ',
      'step 6 ',
    ]);
    expect(
      deltas
        .slice(7)
        .map((d) => d.content ?? '')
        .join(''),
    ).toBe('Hello from thinker');
    expect(events.at(-1)).toBe('[DONE]');
    // The first thought comes at once, the answer only after the thinking time.
    expect(times[1]! - started).toBeLessThan(150);
    expect(times[7]! - started).toBeGreaterThanOrEqual(290);
  });

  it('can use the `reasoning` field, and puts the reasoning in a non-stream message', async () => {
    mock.script(
      fault.reasoning({ thinkMs: 100, everyMs: 50, field: 'reasoning' }),
      fault.reasoning({ thinkMs: 100 }),
    );
    const { events } = await readSse(await postJson(url, chatBody({ stream: true })));
    expect(JSON.parse(events[1]!).choices[0].delta).toEqual({ reasoning: 'step 1 ' });
    const started = Date.now();
    const res = await postJson(url, chatBody());
    const body = (await res.json()) as { choices: { message: Record<string, string> }[] };
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(body.choices[0]!.message).toMatchObject({
      content: 'Hello from thinker',
      reasoning_content: 'step 1 ',
    });
    expect(mock.requests.map((r) => r.fault)).toEqual(['reasoning', 'reasoning']);
  });
});
