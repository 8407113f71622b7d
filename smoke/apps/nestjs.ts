/**
 * NestJS on platform-express and platform-fastify: `AiFailoverService` in a controller, the
 * module's health routes, its OpenAI-compatible routes, and the `@nestjs/terminus` indicator.
 * Any warning or error Nest logs while booting fails the run.
 */
import 'reflect-metadata';
import { AiFailoverModule, AiFailoverService } from '@ai-failover/nestjs';
import { AiFailoverHealthIndicator } from '@ai-failover/nestjs/terminus';
import { Body, Controller, Get, HttpCode, type LoggerService, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { assert, configFor, exercise, type Mocks, startMocks, TOKEN } from './check.js';

@Controller('ask')
class AskController {
  constructor(private readonly ai: AiFailoverService) {}

  @Post()
  @HttpCode(200)
  async ask(@Body() body: { q: string }) {
    const { response, report } = await this.ai.chat({ messages: [{ role: 'user', content: body.q }] });
    return { answer: response.choices[0]?.message.content, servedBy: report.deployment };
  }
}

@Controller('ready')
class ReadyController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly ai: AiFailoverHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.ai.isReady('llm')]);
  }
}

function appModule(mocks: Mocks) {
  @Module({
    imports: [
      AiFailoverModule.forRoot(configFor(mocks), {
        isGlobal: true,
        openai: { authorize: (req) => req.headers.authorization === `Bearer ${TOKEN}` },
      }),
      TerminusModule,
    ],
    controllers: [AskController, ReadyController],
    providers: [AiFailoverHealthIndicator],
  })
  class AppModule {}
  return AppModule;
}

/** Nest 10's note that a module was slow to serialize: about the machine's load, not the app. */
const SLOW_SERIALIZATION = /is taking [\d.]+ms to serialize/;

/** Keeps what Nest warns about or reports as an error. */
class RecordingLogger implements LoggerService {
  readonly problems: string[] = [];
  log(): void {}
  debug(): void {}
  verbose(): void {}
  warn(message: unknown): void {
    if (!SLOW_SERIALIZATION.test(String(message))) this.problems.push(`warn: ${String(message)}`);
  }
  error(message: unknown): void {
    this.problems.push(`error: ${String(message)}`);
  }
}

async function run(platform: 'express' | 'fastify'): Promise<void> {
  const label = `nestjs ${process.env.SMOKE_LABEL ?? ''} ${platform}`.replace(/\s+/g, ' ');
  const mocks = await startMocks();
  const logger = new RecordingLogger();
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(appModule(mocks), adapter, { logger });
  try {
    await app.listen(0, '127.0.0.1');
    assert.deepEqual(logger.problems, [], `${label}: Nest logged problems while booting`);
    const base = await app.getUrl();
    await exercise(base, mocks, label, async () => {
      const response = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { info?: { llm?: { status?: string } } };
      assert.equal(response.status, 200, `${label}: terminus /ready answered ${response.status}`);
      assert.equal(body.info?.llm?.status, 'up', `${label}: terminus /ready body`);
      return 'terminus /ready up';
    });
    assert.deepEqual(logger.problems, [], `${label}: Nest logged problems`);
  } finally {
    await app.close();
    await mocks.close();
  }
}

async function main(): Promise<void> {
  await run('express');
  await run('fastify');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
