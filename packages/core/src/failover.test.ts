import { fault } from '@ai-failover/testing';
import {
  AbortError,
  AiClient,
  AllAttemptsFailedError,
  DeadlineExceededError,
  InvalidRequestError,
  UnknownModelError,
  UpstreamError,
} from '.';
import { activeResources, type Harness, harness, hello, nextBreakerEvent } from './__tests__/support';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const served = (h: Harness, i: number) => h.mocks[i]!.requests.length;

describe('failover across deployments', () => {
  test('a primary answering 503 to everything: 100 calls succeed, its breaker opens, a probe closes it', async () => {
    // The reset period is real time (opossum's timer): long enough for the 95 calls after the
    // breaker opened, which run 10 at a time to take a fraction of it.
    h = await harness(['primary', 'secondary'], {
      policy: {
        retries: 0,
        breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeoutMs: 1000 },
      },
      // Health would steer calls away after three failures; here the breaker's rules are watched.
      config: { health: { unhealthyAfter: 5 } },
    });
    const opened: string[] = [];
    const closed: string[] = [];
    h.client.on('breakerOpen', (e) => opened.push(e.deployment));
    h.client.on('breakerClose', (e) => closed.push(e.deployment));
    const halfOpen = nextBreakerEvent(h.client, 'breakerHalfOpen');
    h.mocks[0]!.setDefault(fault.status(503));

    const call = async () => {
      const { report } = await h!.client.chat(hello);
      expect(report.deployment).toBe('secondary/secondary-model');
    };
    for (let i = 0; i < 5; i++) await call();
    expect(opened).toEqual(['primary/primary-model']);
    for (let i = 0; i < 95; i += 10) await Promise.all(Array.from({ length: Math.min(10, 95 - i) }, call));
    // Once open, the primary sees no more traffic: only the calls before the breaker opened reached it.
    expect(served(h, 0)).toBe(5);
    expect(served(h, 1)).toBe(100);
    expect(h.client.health().deployments.find((d) => d.id === 'primary/primary-model')?.breaker).toBe('open');

    // After the recovery window one probe call goes through; a success closes the breaker.
    h.mocks[0]!.setDefault(fault.ok());
    await halfOpen;
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe('primary/primary-model');
    expect(opened).toEqual(['primary/primary-model']);
    expect(closed).toEqual(['primary/primary-model']);
    expect(h.client.health().deployments.find((d) => d.id === 'primary/primary-model')?.breaker).toBe(
      'closed',
    );
  });

  test('after a long healthy stretch, five failures in a row open the breaker', async () => {
    h = await harness(['primary', 'secondary'], {
      policy: { retries: 0, breaker: { resetTimeoutMs: 60_000 } },
      config: { health: { unhealthyAfter: 5 } },
    });
    for (let i = 0; i < 50; i++) await h.client.chat(hello);
    h.mocks[0]!.setDefault(fault.status(503));
    for (let i = 0; i < 20; i++) await h.client.chat(hello);
    // 50 successes in the window keep the failure rate under 50 % for a long time; the run of
    // failures trips the breaker anyway.
    expect(served(h, 0)).toBe(55);
    expect(h.client.health().deployments.find((d) => d.id === 'primary/primary-model')?.breaker).toBe('open');
  });

  test('a hung primary with a 200 ms attempt timeout: the secondary answers within the deadline', async () => {
    h = await harness(['primary', 'secondary'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.hang());
    const started = Date.now();
    const { report } = await h.client.chat(hello, { timeoutMs: 200, deadlineMs: 1000 });
    const elapsed = Date.now() - started;
    expect(report.deployment).toBe('secondary/secondary-model');
    expect(report.attempts[0]).toMatchObject({
      deployment: 'primary/primary-model',
      outcome: 'timeout',
      decision: 'failover',
    });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1000);
    // The hung upstream call was aborted, not left open.
    await h.mocks[0]!.waitForAbort(1000);
  });

  test('a 400 from the primary is not retried anywhere and carries the provider message', async () => {
    h = await harness(['primary', 'secondary']);
    h.mocks[0]!.setDefault(fault.badRequest('temperature must be at most 2'));
    const error = await h.client.chat(hello).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).upstreamStatus).toBe(400);
    expect((error as UpstreamError).status).toBe(400);
    expect((error as UpstreamError).providerMessage).toContain('temperature must be at most 2');
    expect(served(h, 0)).toBe(1);
    expect(served(h, 1)).toBe(0);
  });

  test('a 401 fails over and marks that provider unhealthy', async () => {
    h = await harness(['primary', 'secondary']);
    h.mocks[0]!.setDefault(fault.unauthorized());
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe('secondary/secondary-model');
    expect(report.attempts[0]).toMatchObject({ outcome: 'auth_error', status: 401, decision: 'failover' });
    const health = h.client.health();
    expect(health.providers.find((p) => p.id === 'primary')).toMatchObject({
      status: 'unhealthy',
      keys: { total: 1, available: 0 },
    });
    expect(health.deployments.find((d) => d.id === 'primary/primary-model')).toMatchObject({
      status: 'unhealthy',
      usable: false,
    });
    // The next call skips the refused provider without an attempt.
    await h.client.chat(hello);
    expect(served(h, 0)).toBe(1);
  });

  test('a key that gets a 429 cools down while the provider’s other key keeps serving', async () => {
    h = await harness(['solo']);
    await h.client.close();
    const mock = h.mocks[0]!;
    h.client = new AiClient({
      providers: [{ id: 'solo', baseUrl: mock.baseUrl, apiKey: ['key-one-000001', 'key-two-000002'] }],
      models: { chat: { deployments: [{ provider: 'solo', model: 'm' }] } },
    });
    mock.handle((req) =>
      req.apiKey === 'key-one-000001' ? fault.rateLimited({ retryAfterSeconds: 60 }) : undefined,
    );
    for (let i = 0; i < 4; i++) await h.client.chat(hello);
    const keys = mock.requests.map((r) => r.apiKey);
    expect(keys.filter((k) => k === 'key-one-000001')).toHaveLength(1);
    expect(keys.filter((k) => k === 'key-two-000002')).toHaveLength(4);
  });

  test('quick transient failures are retried on the same deployment before failing over', async () => {
    h = await harness(['primary', 'secondary'], { policy: { retries: 2 } });
    h.mocks[0]!.script(fault.status(502), fault.malformedJson(), fault.ok());
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe('primary/primary-model');
    expect(report.attempts.map((a) => [a.outcome, a.decision])).toEqual([
      ['server_error', 'retry'],
      ['bad_response', 'retry'],
      ['success', 'done'],
    ]);
  });

  test('a reset connection moves on at once; the deployment gets its retry only when it is the last', async () => {
    h = await harness(['primary', 'secondary'], { policy: { retries: 1 } });
    h.mocks[0]!.script(fault.reset());
    h.mocks[1]!.script(fault.reset(), fault.ok());
    const { report } = await h.client.chat(hello);
    // The secondary, the last one not tried yet, is retried in place.
    expect(report.attempts.map((a) => `${a.deployment}:${a.outcome}:${a.decision}`)).toEqual([
      'primary/primary-model:connection_error:failover',
      'secondary/secondary-model:connection_error:retry',
      'secondary/secondary-model:success:done',
    ]);
    // When the secondary cannot serve at all, the primary gets its retry last.
    h.mocks[0]!.script(fault.reset(), fault.ok());
    h.mocks[1]!.script(fault.status(404));
    const again = await h.client.chat(hello);
    expect(again.report.attempts.map((a) => `${a.deployment}:${a.outcome}:${a.decision}`)).toEqual([
      'primary/primary-model:connection_error:failover',
      'secondary/secondary-model:not_found:failover',
      'primary/primary-model:success:done',
    ]);
  });

  test('a retry that the breaker cuts short counts as a failover', async () => {
    h = await harness(['primary', 'secondary'], {
      policy: { retries: 1, breaker: { volumeThreshold: 1, resetTimeoutMs: 60_000 } },
    });
    const failovers: string[] = [];
    h.client.on('failover', (e) => failovers.push(e.from));
    h.mocks[0]!.setDefault(fault.status(503));
    const { report } = await h.client.chat(hello);
    expect(report.attempts.map((a) => `${a.deployment}:${a.decision}`)).toEqual([
      'primary/primary-model:failover',
      'secondary/secondary-model:done',
    ]);
    expect(report.failovers).toBe(1);
    expect(failovers).toEqual(['primary/primary-model']);
  });

  test('malformed JSON and truncated bodies count as failures and fail over', async () => {
    h = await harness(['a', 'b', 'c'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.malformedJson());
    h.mocks[1]!.setDefault(fault.truncated());
    const { report } = await h.client.chat(hello);
    expect(report.deployment).toBe('c/c-model');
    expect(report.attempts.map((a) => a.outcome)).toEqual(['bad_response', 'connection_error', 'success']);
  });

  test('fallback groups are tried after the group’s own deployments', async () => {
    h = await harness(['a', 'b'], {
      group: { deployments: [{ provider: 'a', model: 'big' }], fallbacks: ['small'] },
      extraModels: { small: { deployments: [{ provider: 'b', model: 'small' }] } },
    });
    h.mocks[0]!.setDefault(fault.status(500));
    const { report } = await h.client.chat(hello, { model: 'chat' });
    expect(report).toMatchObject({ model: 'chat', servedBy: 'small', deployment: 'b/small', failovers: 1 });
    expect(h.mocks[1]!.requests[0]!.model).toBe('small');
  });

  test('a context-length 400 moves to the context fallback group', async () => {
    h = await harness(['a', 'b'], {
      group: { deployments: [{ provider: 'a', model: 'short' }], contextFallback: 'long' },
      extraModels: { long: { deployments: [{ provider: 'b', model: 'long-context' }] } },
    });
    h.mocks[0]!.setDefault(fault.contextLength());
    const { report } = await h.client.chat(hello);
    expect(report).toMatchObject({ servedBy: 'long', deployment: 'b/long-context' });
    expect(report.attempts[0]).toMatchObject({ outcome: 'context_length', decision: 'failover' });
  });

  test('every deployment failing gives AllAttemptsFailedError listing each attempt', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.status(500));
    h.mocks[1]!.setDefault(fault.status(503));
    const error = (await h.client.chat(hello).catch((e: unknown) => e)) as AllAttemptsFailedError;
    expect(error).toBeInstanceOf(AllAttemptsFailedError);
    expect(error.code).toBe('AI_ALL_ATTEMPTS_FAILED');
    expect(error.attempts.map((a) => `${a.deployment} ${a.status}`)).toEqual([
      'a/a-model 500',
      'b/b-model 503',
    ]);
    expect(error.message).toContain('a/a-model: server_error 500');
    // It speaks HTTP on its own (status, expose, headers) and carries the call's report.
    expect(error).toMatchObject({ status: 503, statusCode: 503, expose: false, headers: {} });
    expect(error.report).toMatchObject({ model: 'chat', failovers: 2 });
    expect(error.report?.attempts).toBe(error.attempts);
  });

  test('every deployment rate limited: the error asks to retry after the shortest wait', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0, maxRetryAfterMs: 0, deadlineMs: 2000 } });
    h.mocks[0]!.setDefault(fault.rateLimited({ retryAfterSeconds: 30 }));
    h.mocks[1]!.setDefault(fault.rateLimited({ retryAfterMs: 4200 }));
    const error = (await h.client.chat(hello).catch((e: unknown) => e)) as AllAttemptsFailedError;
    expect(error.headers).toEqual({ 'retry-after': '5' });
  });

  test('the deadline bounds the whole request', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.hang());
    h.mocks[1]!.setDefault(fault.hang());
    const started = Date.now();
    const error = (await h.client
      .chat(hello, { deadlineMs: 300 })
      .catch((e: unknown) => e)) as DeadlineExceededError;
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(600);
    expect(error.message).toMatch(/Deadline of 300ms exceeded/);
  });
});

describe('the caller', () => {
  test('aborting the caller’s signal aborts the upstream request at once', async () => {
    h = await harness(['a']);
    h.mocks[0]!.setDefault(fault.hang());
    const controller = new AbortController();
    const call = h.client.chat(hello, { signal: controller.signal });
    await h.mocks[0]!.waitForRequests(1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(AbortError);
    const aborted = await h.mocks[0]!.waitForAbort(1000);
    expect(aborted.aborted).toBe(true);
  });

  test('bad input gets a typed error naming the field', async () => {
    h = await harness(['a']);
    await expect(h.client.chat({ messages: [] })).rejects.toThrow(
      new InvalidRequestError('must not be empty', 'messages'),
    );
    await expect(h.client.chat({} as never)).rejects.toMatchObject({
      code: 'AI_INVALID_REQUEST',
      field: 'messages',
    });
    await expect(h.client.chat(hello, { deadlineMs: -1 })).rejects.toMatchObject({
      field: 'options.deadlineMs',
    });
    await expect(h.client.chat(hello, { model: 'nope' })).rejects.toBeInstanceOf(UnknownModelError);
    await expect(h.client.chat({ ...hello, stream: 'yes' } as never)).rejects.toMatchObject({
      code: 'AI_INVALID_REQUEST',
      field: 'stream',
    });
    expect(h.mocks[0]!.requests).toHaveLength(0);
  });

  test('a request nested 5,000 levels deep is an InvalidRequestError and leaves no timer behind', async () => {
    h = await harness(['a']);
    let nested: Record<string, unknown> = {};
    for (let i = 0; i < 5000; i++) nested = { a: nested };
    const deep = { ...hello, metadata: nested };
    const before = activeResources().Timeout ?? 0;
    for (const call of [
      () => h!.client.chat(deep),
      () => h!.client.chatStream(deep),
      () => h!.client.embeddings({ input: 'x', extra: nested }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'AI_INVALID_REQUEST', field: 'request' });
    }
    expect(activeResources().Timeout ?? 0).toBeLessThanOrEqual(before);
    expect(h.mocks[0]!.requests).toHaveLength(0);
  });

  test('each deployment receives its own model name and the caller’s other fields untouched', async () => {
    h = await harness(['a']);
    await h.client.chat({ ...hello, model: 'ignored', temperature: 0.2, max_tokens: 7 });
    expect(h.mocks[0]!.requests[0]!.body).toEqual({
      model: 'a-model',
      ...hello,
      temperature: 0.2,
      max_tokens: 7,
    });
  });

  test('embeddings use the same plan', async () => {
    h = await harness(['a', 'b'], { policy: { retries: 0 } });
    h.mocks[0]!.setDefault(fault.status(503));
    const { response, report } = await h.client.embeddings({ input: ['one', 'two'] });
    expect(response.data).toHaveLength(2);
    expect(report.deployment).toBe('b/b-model');
    expect(h.mocks[1]!.requests[0]!.path).toBe('/v1/embeddings');
  });

  test.each([301, 302, 307, 308])(
    'a %i from a provider fails over; the redirect is not followed',
    async (status) => {
      h = await harness(['a', 'b', 'trap'], { policy: { retries: 1 } });
      const trap = h.mocks[2]!;
      h.mocks[0]!.setDefault(
        fault.status(status, { headers: { location: `${trap.baseUrl}/chat/completions` }, body: '' }),
      );
      const { report } = await h.client.chat(hello);
      expect(report.deployment).toBe('b/b-model');
      expect(report.attempts[0]).toMatchObject({
        deployment: 'a/a-model',
        outcome: 'bad_response',
        decision: 'failover',
        status,
      });
      expect(h.mocks[0]!.requests).toHaveLength(1); // not retried in place either
      expect(trap.requests).toHaveLength(0); // the key never went where the redirect pointed
    },
  );
});
