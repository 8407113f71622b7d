/**
 * `@ai-failover/core/http`: the HTTP layer of ai-failover, on Node's `IncomingMessage` and
 * `ServerResponse` only — health, metrics and OpenAI-compatible routes, the live dashboard, the
 * request-bound caller, the disconnect signal, and the mapping of typed errors to HTTP answers.
 * The Express, Koa and NestJS adapters are thin faces on it; a server without a framework can
 * mount `createAiHttpHandler()` or `createDashboard()` directly.
 */

export * from '../dashboard';
export {
  createAdapterHandler,
  createErrorMapper,
  defineLazy,
  type ErrorHandlerOptions,
  type ErrorMapper,
  looksLikeRequest,
  misuseMessage,
} from './adapter';
export { assertJsonContentType, DEFAULT_BODY_TIMEOUT_MS, parseByteSize, readJsonBody } from './body';
export { type ChatSseOptions, formatSseEvent, type SseEvent, writeSse } from './chat-sse';
export { createScrubber } from './context';
export { type FastPathOptions, installFastPath, type SubjectOf } from './fast-path';
export {
  type AiHttpHandler,
  type AiHttpOptions,
  type AiRoute,
  createAiHttpHandler,
  type HandlerIdentity,
  isAiClient,
  type ServeContext,
} from './handler';
export {
  type HealthRouteKind,
  healthAnswer,
  type MetricsRenderer,
  metricsOf,
  type PublicHealth,
} from './health';
export type { OpenAiModel, OpenAiRouteKind } from './openai-routes';
export {
  type AffinityKeyOption,
  type AiHttpRouteOptions,
  type DashboardRouteOptions,
  DEFAULT_BODY_LIMIT,
  DEFAULT_TRACE_HEADER,
  type HealthRouteOptions,
  headerValue,
  type MetricsRouteOptions,
  type OpenAiRouteOptions,
  type ResolveContext,
  type ResolvedDashboardRoutes,
  type ResolvedHealthRoutes,
  type ResolvedHttpOptions,
  type ResolvedOpenAiRoutes,
  resolveHttpOptions,
} from './options';
export {
  bodyParserProblem,
  type ErrorResponse,
  errorResponse,
  HttpProblem,
  isBodyParserError,
  type OpenAiErrorBody,
  openAiErrorBody,
  type Problem,
  problemFor,
  publicProblem,
  type Scrubber,
  typeForStatus,
} from './problem';
export { drained, isGone, SSE_HEADERS, sendJson, sendText } from './respond';
export { ClientDisconnectedError, type RequestSignal, requestSignal } from './signal';
export { formatTrace, headerSafe } from './trace';
