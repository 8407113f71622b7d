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

  test('no response headers within headersTimeoutMs: that clock, not the attempt budget, moves on', async () => {
    h = await harness(['a', 'b'], {
      policy: { retries: 0, stream: { headersTimeoutMs: 150, firstTokenTimeoutMs: 10_000 } },
    });
    h.mocks[0]!.setDefault(fault.hang());
    const stream = await h.client.chatStream(hello, { timeoutMs: 3000 });
    expect(stream.deployment).toBe('b/b-model');
    expect(stream.attempts[0]).toMatchObject({
      deployment: 'a/a-model',
      outcome: 'timeout',
      decision: 'failover',
      error: 'no answer within 150ms',
    });
    expect(stream.attempts[0]!.latencyMs).toBeLessThan(5000);
    expect(await collect(stream)).toBe('Hello from b');
  });

  describe('the idle clock measures the upstream, not the consumer', () => {
    /** A reply of `words` long words: far more than the reader queues before pausing the socket. */
    const long = (words: number) =>
      Array.from({ length: words }, (_, i) => `w${i}${'x'.repeat(2000)}`).join(' ');

    test('three readers that pause longer than idleTimeoutMs get their whole answer; the deployment stays healthy', async () => {
      const content = long(400);
      h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 150 } }, mock: { content } });
      const streams = await Promise.all([1, 2, 3].map(() => h!.client.chatStream(hello)));
      const iterators = streams.map((s) => s[Symbol.asyncIterator]());
      for (const iterator of iterators) await iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 600)); // the consumers are busy elsewhere
      expect(h.client.readiness().httpStatus).toBe(200);
      // The first chunk read was the role chunk: the rest is the whole answer.
      for (const stream of streams) expect((await collect(stream)) === content).toBe(true);
      expect(h.client.health().deployments[0]).toMatchObject({ status: 'healthy', consecutiveFailures: 0 });
      expect(h.client.readiness().httpStatus).toBe(200);
    });

    test('a reader that pauses after the upstream has finished still gets the whole answer', async () => {
      h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 100 } } });
      const stream = await h.client.chatStream(hello);
      await h.mocks[0]!.waitForRequests(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await collect(stream)).toBe('Hello from a');
      expect((await stream.done).deployment).toBe('a/a-model');
    });

    test('an upstream that goes silent while the reader keeps up is still caught', async () => {
      h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 150 } } });
      h.mocks[0]!.setDefault(fault.stall({ afterChunks: 3 }));
      const stream = await h.client.chatStream(hello);
      const error = await collect(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StreamInterruptedError);
      expect((error as Error).message).toContain('stream stalled within 150ms');
      expect(h.client.health().deployments[0]!.consecutiveFailures).toBe(1);
    });
  });

  test('a stall between chunks after content ends in StreamInterruptedError', async () => {
    h = await harness(['a'], { policy: { stream: { idleTimeoutMs: 150 } } });
    h.mocks[0]!.setDefault(fault.stall({ afterChunks: 2 }));
    const stream = await h.client.chatStream(hello);
    await expect(collect(stream)).rejects.toBeInstanceOf(StreamInterruptedError);
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('chunks that keep coming within the idle timeout keep a long stream alive', async () => {
    h = await harness(['a'], {
      policy: { stream: { idleTimeoutMs: 100 } },
      mock: { chunkDelayMs: 40, content: 'one two three four five six seven eight nine ten' },
    });
    const started = Date.now();
    const stream = await h.client.chatStream(hello);
    expect(await collect(stream)).toBe('one two three four five six seven eight nine ten');
    expect(Date.now() - started).toBeGreaterThan(300); // three idle periods and more
  });

  test('a stall is caught one idle period after the last chunk, not later', async () => {
    h = await harness(['a'], {
      policy: { stream: { idleTimeoutMs: 150 } },
      mock: { chunkDelayMs: 40 },
    });
    h.mocks[0]!.setDefault(fault.stall({ afterChunks: 3 }));
    const stream = await h.client.chatStream(hello);
    let last = Date.now();
    const error = await (async () => {
      for await (const _ of stream) last = Date.now();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    const stalledFor = Date.now() - last;
    expect(stalledFor).toBeGreaterThanOrEqual(140);
    expect(stalledFor).toBeLessThan(400); // generous: a loaded machine
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
