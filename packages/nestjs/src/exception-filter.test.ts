import 'reflect-metadata';
import { fault, type MockProvider } from '@ai-failover/testing';
import { Controller, Get, UseFilters } from '@nestjs/common';
import { AiFailoverExceptionFilter, AiFailoverModule, AiFailoverService, UseModel } from '.';
import {
  appStarter,
  closeAll,
  configFor,
  hello,
  PLATFORMS,
  type RunningApp,
  startMocks,
} from './__tests__/support';

@Controller('ai')
class AiController {
  constructor(private readonly ai: AiFailoverService) {}

  @UseModel('primary', { fallbacks: ['backup'] })
  @Get('chat')
  async chat() {
    const { response } = await this.ai.chat(hello);
    return response;
  }

  @UseModel('primary', { fallbacks: ['backup'], deadlineMs: 3000 })
  @Get('short')
  async short() {
    const { response } = await this.ai.chat(hello);
    return response;
  }

  @Get('unknown')
  unknown() {
    return this.ai.chat(hello, { model: 'nope' });
  }

  @Get('invalid')
  invalid() {
    return this.ai.chat({ messages: 'hi' } as never);
  }

  @Get('deadline')
  deadline() {
    return this.ai.chat(hello, { model: 'slow', deadlineMs: 50 });
  }
}

@UseFilters(AiFailoverExceptionFilter)
@Controller('filtered')
class FilteredController {
  constructor(private readonly ai: AiFailoverService) {}

  @UseModel('primary')
  @Get()
  chat() {
    return this.ai.chat(hello);
  }
}

@UseFilters(new AiFailoverExceptionFilter())
@Controller('instance')
class InstanceFilteredController {
  constructor(private readonly ai: AiFailoverService) {}

  @UseModel('primary')
  @Get()
  chat() {
    return this.ai.chat(hello);
  }
}

@Controller('unfiltered')
class UnfilteredController {
  constructor(private readonly ai: AiFailoverService) {}

  @UseModel('primary')
  @Get()
  chat() {
    return this.ai.chat(hello);
  }
}

async function call(url: string) {
  const response = await fetch(url);
  const text = await response.text();
  return {
    status: response.status,
    text,
    body: JSON.parse(text) as Record<string, unknown>,
    retryAfter: response.headers.get('retry-after'),
    headers: response.headers,
  };
}

describe.each(PLATFORMS)('AiFailoverExceptionFilter (%s)', (_platform, adapter) => {
  const startApp = appStarter(adapter);
  let mocks: Record<string, MockProvider>;
  let running: RunningApp;

  beforeAll(async () => {
    mocks = await startMocks(['primary', 'backup', 'slow']);
    running = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks), { exceptionFilter: true })],
      controllers: [AiController],
    });
  });

  afterAll(async () => {
    await running?.close();
    await closeAll(mocks);
  });

  beforeEach(() => {
    for (const mock of Object.values(mocks)) mock.reset();
  });

  it('answers AllAttemptsFailedError with 503 in the OpenAI error shape and the trace, without secrets', async () => {
    mocks.primary!.setDefault(fault.status(503));
    mocks.backup!.setDefault(fault.status(500));
    const { status, body, text, headers } = await call(`${running.url}/ai/chat`);
    expect(status).toBe(503);
    expect(body).toEqual({
      error: {
        message: 'No AI provider could answer the request',
        type: 'api_error',
        param: null,
        code: 'all_attempts_failed',
      },
    });
    expect(text).not.toContain('sk-test');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-ai-failover-trace')).toMatch(
      /^primary\/primary-model;outcome=server_error;status=503;ms=\d+, backup\/backup-model;outcome=server_error;status=500;ms=\d+$/,
    );
  });

  it('answers an upstream 400 with 400', async () => {
    mocks.primary!.setDefault(fault.badRequest('temperature is out of range'));
    const { status, body } = await call(`${running.url}/ai/chat`);
    expect(status).toBe(400);
    expect(body).toEqual({
      error: {
        message: expect.stringContaining('temperature is out of range'),
        type: 'invalid_request_error',
        param: null,
        code: expect.any(String),
      },
    });
    expect(mocks.backup!.requests).toHaveLength(0);
  });

  it('sends Retry-After when every provider asked to wait', async () => {
    mocks.primary!.setDefault(fault.rateLimited({ retryAfterSeconds: 30 }));
    mocks.backup!.setDefault(fault.rateLimited({ retryAfterSeconds: 20 }));
    // Waits that fit in the deadline are waited out; these do not.
    const { status, body, retryAfter, headers } = await call(`${running.url}/ai/short`);
    expect(status).toBe(503);
    expect(body).toMatchObject({ error: { code: 'all_attempts_failed' } });
    expect(headers.get('x-ai-failover-trace')).toMatch(
      /^primary\/primary-model;outcome=rate_limited;status=429;ms=\d+, backup\/backup-model;outcome=rate_limited;status=429;ms=\d+$/,
    );
    expect(retryAfter).toBe('20');
  });

  it('maps an unknown model to 404, an invalid request to 400 and a deadline to 504', async () => {
    expect(await call(`${running.url}/ai/unknown`)).toMatchObject({
      status: 404,
      body: { error: { code: 'model_not_found', param: 'model' } },
    });
    expect(await call(`${running.url}/ai/invalid`)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', param: 'messages' } },
    });
    mocks.slow!.setDefault(fault.hang());
    expect(await call(`${running.url}/ai/deadline`)).toMatchObject({
      status: 504,
      body: { error: { code: 'deadline_exceeded', type: 'timeout_error' } },
    });
  });

  it("works with @UseFilters(), as a class or an instance; without it, Nest's own filter answers with the error's status", async () => {
    const other = await startApp({
      imports: [AiFailoverModule.forRoot(configFor(mocks))],
      controllers: [FilteredController, InstanceFilteredController, UnfilteredController],
    });
    try {
      mocks.primary!.setDefault(fault.status(503));
      expect(await call(`${other.url}/filtered`)).toMatchObject({
        status: 503,
        body: { error: { code: 'all_attempts_failed' } },
      });
      const instance = await call(`${other.url}/instance`);
      expect(instance).toMatchObject({
        status: 503,
        body: { error: { code: 'all_attempts_failed' } },
      });
      expect(instance.headers.get('content-type')).toMatch(/^application\/json/);
      expect(instance.headers.get('cache-control')).toBe('no-store');
      expect(instance.headers.get('x-ai-failover-trace')).toMatch(
        /^primary\/primary-model;outcome=server_error/,
      );
      // Nest's BaseExceptionFilter reads `statusCode` and `expose` off the error: the right
      // status, and the status text rather than a server error's details.
      expect(await call(`${other.url}/unfiltered`)).toMatchObject({
        status: 503,
        body: { statusCode: 503, message: 'Service Unavailable' },
      });
      mocks.primary!.setDefault(fault.badRequest('temperature is out of range'));
      expect(await call(`${other.url}/unfiltered`)).toMatchObject({
        status: 400,
        body: { statusCode: 400, message: expect.stringContaining('temperature is out of range') },
      });
    } finally {
      await other.close();
    }
  });
});
