export { aiFailoverErrorHandler, type ErrorsOptions } from './errors';
export { type AiFailoverKoaMiddleware, aiFailover, type KoaOptions } from './middleware';
