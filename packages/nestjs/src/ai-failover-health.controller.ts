import type { AiClient, HealthReport, LivenessReport, ReadinessReport } from '@ai-failover/core';
import { Controller, Get, Header, Inject, Res, type Type } from '@nestjs/common';
import { AI_FAILOVER_CLIENT, DEFAULT_HEALTH_PATH } from './ai-failover.constants';

/** The part of an Express response or a Fastify reply the controller uses. */
interface StatusResponse {
  status(code: number): unknown;
}

/** The routes of the health controller. */
export interface AiFailoverHealthRoutes {
  /** `GET /<path>`: the full report; 200 unless the client is unhealthy (503). */
  health(response: StatusResponse): HealthReport;
  /** `GET /<path>/live`: always 200 while the process runs. */
  live(response: StatusResponse): LivenessReport;
  /** `GET /<path>/ready`: 200 when every model group has a usable deployment, else 503. */
  ready(response: StatusResponse): ReadinessReport;
}

/**
 * A controller answering `GET /<path>`, `/<path>/live` and `/<path>/ready` with the client's
 * reports and their `httpStatus`. `@Controller()` paths are fixed when a class is declared, so
 * each path gets its own class; `AiFailoverModule.forRoot()` mounts one unless `health: false`.
 */
export function createAiFailoverHealthController(
  path: string = DEFAULT_HEALTH_PATH,
): Type<AiFailoverHealthRoutes> {
  if (typeof path !== 'string') {
    throw new TypeError(`AiFailoverModule health.path must be a string, got ${typeof path}`);
  }

  @Controller(path)
  class AiFailoverHealthController implements AiFailoverHealthRoutes {
    constructor(@Inject(AI_FAILOVER_CLIENT) private readonly client: AiClient) {}

    @Get()
    @Header('Cache-Control', 'no-store')
    health(@Res({ passthrough: true }) response: StatusResponse): HealthReport {
      const report = this.client.health();
      response.status(report.httpStatus);
      return report;
    }

    @Get('live')
    @Header('Cache-Control', 'no-store')
    live(@Res({ passthrough: true }) response: StatusResponse): LivenessReport {
      const report = this.client.liveness();
      response.status(report.httpStatus);
      return report;
    }

    @Get('ready')
    @Header('Cache-Control', 'no-store')
    ready(@Res({ passthrough: true }) response: StatusResponse): ReadinessReport {
      const report = this.client.readiness();
      response.status(report.httpStatus);
      return report;
    }
  }

  return AiFailoverHealthController;
}
