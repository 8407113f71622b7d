/**
 * `@ai-failover/nestjs`: a Nest module over the ai-failover client. The `@nestjs/terminus` health
 * indicator is in `@ai-failover/nestjs/terminus`.
 */
export {
  AI_FAILOVER_CLIENT,
  AI_FAILOVER_HTTP_HANDLER,
  AI_FAILOVER_OPTIONS,
  DEFAULT_HEALTH_PATH,
  USE_MODEL_METADATA,
} from './ai-failover.constants';
export {
  type AiFailoverContext,
  getAiFailoverContext,
  type ModelSelection,
  runInAiFailoverContext,
  type UseModelOptions,
} from './ai-failover.context';
export { AiFailoverModule } from './ai-failover.module';
export { AiFailoverService } from './ai-failover.service';
export { AiFailoverContextInterceptor } from './ai-failover-context.interceptor';
export {
  type AiFailoverErrorAnswer,
  AiFailoverExceptionFilter,
  aiFailoverErrorAnswer,
} from './ai-failover-exception.filter';
export {
  type AiFailoverHealthRoutes,
  createAiFailoverHealthController,
} from './ai-failover-health.controller';
export { AiFailoverHttpMiddleware } from './ai-failover-http.middleware';
export type {
  AiFailoverAuthorize,
  AiFailoverClientOption,
  AiFailoverDashboardOptions,
  AiFailoverHealthOption,
  AiFailoverHttpOptions,
  AiFailoverMetricsOptions,
  AiFailoverModuleAsyncOptions,
  AiFailoverModuleConfig,
  AiFailoverModuleOptions,
  AiFailoverOpenAiOptions,
  AiFailoverOptionsFactory,
} from './ai-failover-options.interface';
export { AiModel } from './ai-model.decorator';
export type { ChatChunkEvent, ChatEndEvent, ChatStreamEvent } from './chat-stream-event';
export { UseModel } from './use-model.decorator';
