import { chatBody, postJson, readSse } from './__tests__/client';
import { fault } from './faults';
import { MockProvider } from './mock-provider';

describe('a reasoning stream', () => {
  let mock: MockProvider;

  beforeAll(async () => {
    mock = await MockProvider.start({ name: 'thinker' });
  });
  afterAll(() => mock.close());

  it('sends its thoughts as they come, one every chunkDelayMs, in order, before the answer', async () => {
    const thoughts = Array.from({ length: 6 }, (_, i) => `thought${i + 1}`).join(' ');
    mock.script(fault.ok({ reasoning: thoughts, chunkDelayMs: 50 }));
    const started = Date.now();
    const res = await postJson(`${mock.baseUrl}/chat/completions`, chatBody({ stream: true }));
    const { events, times } = await readSse(res);
    const deltas = events
      .slice(0, -1)
      .map(
        (e) => (JSON.parse(e) as { choices: { delta: Record<string, string> }[] }).choices[0]?.delta ?? {},
      );
    expect(deltas.slice(1, 7).map((d) => d.reasoning_content?.trim())).toEqual(thoughts.split(' '));
    expect(
      deltas
        .slice(7)
        .map((d) => d.content ?? '')
        .join(''),
    ).toBe('Hello from thinker');
    // The first thought comes at once; the answer only after the thinking time.
    expect(times[1]! - started).toBeLessThan(150);
    expect(times[7]! - started).toBeGreaterThanOrEqual(290);
  });
});
