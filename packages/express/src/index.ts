export { aiFailoverErrorHandler, type ErrorHandlerOptions } from './errors';
export { type AiFailoverMiddleware, aiFailover, type ExpressOptions } from './middleware';
