export { aiFailoverErrorHandler, type ErrorHandlerOptions } from './errors';
export { type AiFailoverKoaMiddleware, aiFailover, type KoaOptions } from './middleware';
