import type { AiClient, HealthReport, LivenessReport, ReadinessReport } from '@ai-failover/core';
import { healthAnswer, type PublicHealth } from '@ai-failover/core/http';
import { Controller, Get, Header, Inject, Req, Res, type Type } from '@nestjs/common';
import { AI_FAILOVER_CLIENT, DEFAULT_HEALTH_PATH } from './ai-failover.constants';
import type { AiFailoverAuthorize } from './ai-failover-options.interface';
import { nodeRequest } from './node-message';

/** The part of an Express response or a Fastify reply the controller uses. */
interface StatusResponse {
  status(code: number): unknown;
}

/** What a health route answers: the whole report to an authorized request, else the status only. */
export type HealthAnswer<R> = R | PublicHealth;

/** The routes of the health controller. */
export interface AiFailoverHealthRoutes {
  /** `GET /<path>`: 200 unless the client is unhealthy (503). */
  health(request: unknown, response: StatusResponse): Promise<HealthAnswer<HealthReport>>;
  /** `GET /<path>/live`: always 200 while the process runs. */
  live(request: unknown, response: StatusResponse): Promise<HealthAnswer<LivenessReport>>;
  /** `GET /<path>/ready`: 200 when every model group has a usable deployment, else 503. */
  ready(request: unknown, response: StatusResponse): Promise<HealthAnswer<ReadinessReport>>;
}

/**
 * A controller answering `GET /<path>`, `/<path>/live` and `/<path>/ready` with the client's
 * reports and their `httpStatus`: the status only to everyone, the whole report (deployments,
 * providers, errors) to a request `authorize` accepts. `@Controller()` paths are fixed when a class
 * is declared, so each path gets its own class; `AiFailoverModule.forRoot()` mounts one unless
 * `health: false`.
 */
export function createAiFailoverHealthController(
  path: string = DEFAULT_HEALTH_PATH,
  authorize?: AiFailoverAuthorize,
): Type<AiFailoverHealthRoutes> {
  if (typeof path !== 'string') {
    throw new TypeError(`AiFailoverModule health.path must be a string, got ${typeof path}`);
  }
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new TypeError(`AiFailoverModule health.authorize must be a function, got ${typeof authorize}`);
  }

  /** Whether the request may see the whole report; a throwing `authorize` means no. */
  const detailed = async (request: unknown): Promise<boolean> => {
    const req = nodeRequest(request);
    if (!authorize || !req) return false;
    try {
      return (await authorize(req)) === true;
    } catch {
      return false;
    }
  };

  @Controller(path)
  class AiFailoverHealthController implements AiFailoverHealthRoutes {
    constructor(@Inject(AI_FAILOVER_CLIENT) private readonly client: AiClient) {}

    @Get()
    @Header('Cache-Control', 'no-store')
    async health(@Req() request: unknown, @Res({ passthrough: true }) response: StatusResponse) {
      return this.answer('health', request, response) as Promise<HealthAnswer<HealthReport>>;
    }

    @Get('live')
    @Header('Cache-Control', 'no-store')
    async live(@Req() request: unknown, @Res({ passthrough: true }) response: StatusResponse) {
      return this.answer('live', request, response) as Promise<HealthAnswer<LivenessReport>>;
    }

    @Get('ready')
    @Header('Cache-Control', 'no-store')
    async ready(@Req() request: unknown, @Res({ passthrough: true }) response: StatusResponse) {
      return this.answer('ready', request, response) as Promise<HealthAnswer<ReadinessReport>>;
    }

    private async answer(kind: 'health' | 'live' | 'ready', request: unknown, response: StatusResponse) {
      const { httpStatus, body } = healthAnswer(this.client, kind, await detailed(request));
      response.status(httpStatus);
      return body;
    }
  }

  return AiFailoverHealthController;
}
