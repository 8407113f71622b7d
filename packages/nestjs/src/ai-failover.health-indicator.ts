import type { AiClient, HealthStatus } from '@ai-failover/core';
import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { AI_FAILOVER_CLIENT } from './ai-failover.constants';

/** Details of `AiFailoverHealthIndicator.isHealthy()`. */
export interface AiFailoverHealthDetails {
  [key: string]: unknown;
  /** Overall status of the client. */
  health: HealthStatus;
  /** Per model group: its status and the deployments usable now. */
  models: Record<string, { status: HealthStatus; usable: string[] }>;
}

/** Details of `AiFailoverHealthIndicator.isReady()`. */
export interface AiFailoverReadinessDetails {
  [key: string]: unknown;
  /** Per model group: whether it has a usable deployment, and how many. */
  models: Record<string, { ready: boolean; usable: number }>;
}

/**
 * A `@nestjs/terminus` (11 or 12) health indicator over the ai-failover client. Add it to the
 * providers of the module that holds your `@HealthCheck()` controller, next to `TerminusModule`
 * (the client must be injectable there: `isGlobal: true`, or import the module that registers
 * `AiFailoverModule`). Import it from `@ai-failover/nestjs/terminus`.
 *
 * ```ts
 * @Get('health')
 * @HealthCheck()
 * check() {
 *   return this.health.check([() => this.ai.isReady('llm')]);
 * }
 * ```
 */
@Injectable()
export class AiFailoverHealthIndicator {
  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    @Inject(AI_FAILOVER_CLIENT) private readonly client: AiClient,
  ) {}

  /** Up when every model group has a usable deployment, down otherwise. */
  isReady<const Key extends string = 'ai'>(
    key: Key = 'ai' as Key,
  ): HealthIndicatorResult<Key, 'up' | 'down', AiFailoverReadinessDetails> {
    const report = this.client.readiness();
    const indicator = this.healthIndicatorService.check(key);
    const details: AiFailoverReadinessDetails = { models: report.models };
    return report.ready ? indicator.up(details) : indicator.down(details);
  }

  /** Up while the client is healthy or degraded, down when it is unhealthy. */
  isHealthy<const Key extends string = 'ai'>(
    key: Key = 'ai' as Key,
  ): HealthIndicatorResult<Key, 'up' | 'down', AiFailoverHealthDetails> {
    const report = this.client.health();
    const indicator = this.healthIndicatorService.check(key);
    const details: AiFailoverHealthDetails = {
      health: report.status,
      models: Object.fromEntries(report.models.map((m) => [m.name, { status: m.status, usable: m.usable }])),
    };
    return report.httpStatus === 200 ? indicator.up(details) : indicator.down(details);
  }
}
