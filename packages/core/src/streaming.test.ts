import { fault } from '@ai-failover/testing';
import { AbortError, StreamInterruptedError } from '.';
import { type Harness, harness, hello } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function collect(stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>) {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
  return text;
}

describe('streaming', () => {
  test('a stream that fails before its first chunk is served by the next deployment', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.resetMidStream(1)); // only the role chunk, no content
    const stream = await h.client.chatStream(hello);
    expect(stream.deployment).toBe('b/b-model');
    expect(await collect(stream)).toBe('Hello from b');
    const report = await stream.done;
    expect(report.attempts.map((a) => [a.deployment, a.outcome])).toEqual([
      ['a/a-model', 'connection_error'],
      ['b/b-model', 'success'],
    ]);
    expect(report.usage).toEqual({ prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 });
  });

  test('a stream cut after content reached the caller errors and is not replayed elsewhere', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.resetMidStream(2)); // role chunk + "Hello"
    const stream = await h.client.chatStream(hello);
    expect(stream.deployment).toBe('a/a-model');
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect((error as StreamInterruptedError).code).toBe('AI_STREAM_INTERRUPTED');
    expect(text).toBe('Hello');
    expect(h.mocks[1]!.requests).toHaveLength(0);
    const report = await stream.done;
    expect(report.deployment).toBe('a/a-model');
    expect(report.usage).toBeUndefined();
    // The error that ended the stream carries the same report.
    expect((error as StreamInterruptedError).report).toBe(report);
    expect((error as StreamInterruptedError).requestId).toBe(report.requestId);
  });

  test('headers and then no token within the first-token timeout: the secondary answers', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0, stream: { firstTokenTimeoutMs: 200 } } });
    h.mocks[0]!.setDefault(fault.stall({ afterChunks: 0 }));
    const started = Date.now();
    const stream = await h.client.chatStream(hello);
    expect(stream.deployment).toBe('b/b-model');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(await collect(stream)).toBe('Hello from b');
    expect((await stream.done).attempts[0]).toMatchObject({
      outcome: 'first_token_timeout',
      decision: 'failover',
    });
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('a stall between chunks after content ends in StreamInterruptedError', async () => {
    h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 150 } } });
    h.mocks[0]!.setDefault(fault.stall({ afterChunks: 2 }));
    const stream = await h.client.chatStream(hello);
    await expect(collect(stream)).rejects.toBeInstanceOf(StreamInterruptedError);
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('the usage chunk reaches the caller only when it asked for it', async () => {
    h = await harness(['a']);
    const chunks: unknown[] = [];
    for await (const chunk of await h.client.chatStream(hello)) chunks.push(chunk);
    expect(chunks.some((c) => (c as { choices: unknown[] }).choices.length === 0)).toBe(false);
    const asked: Array<{ choices: unknown[]; usage?: unknown }> = [];
    const stream = await h.client.chatStream({ ...hello, stream_options: { include_usage: true } });
    for await (const chunk of stream) asked.push(chunk);
    expect(asked.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: 6 } });
    // The upstream is always asked for usage, so the report has it either way.
    expect(h.mocks[0]!.requests.every((r) => (r.body as { stream_options?: unknown }).stream_options)).toBe(
      true,
    );
  });

  test('aborting the caller’s signal mid-stream aborts the upstream call', async () => {
    h = await harness(['a'], { mock: { chunkDelayMs: 50 } });
    const controller = new AbortController();
    const stream = await h.client.chatStream(hello, { signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortError);
    expect((await h.mocks[0]!.waitForAbort(1000)).aborted).toBe(true);
  });

  test('breaking out of the loop stops the upstream call', async () => {
    h = await harness(['a'], { mock: { chunkDelayMs: 50 } });
    const stream = await h.client.chatStream(hello);
    for await (const _ of stream) break;
    expect((await h.mocks[0]!.waitForAbort(1000)).aborted).toBe(true);
    const report = await stream.done;
    expect(report.deployment).toBe('a/a-model');
  });

  test('a web ReadableStream carries the same chunks', async () => {
    h = await harness(['a']);
    const stream = await h.client.chatStream(hello);
    const reader = stream.toReadableStream().getReader();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += value.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from a');
  });
});
