/** `app.use(aiFailoverErrorHandler())`: answers the typed errors of `ctx.ai` calls as JSON. */
import { AiFailoverError } from '@ai-failover/core';
import { createErrorMapper, type ErrorMappingOptions } from '@ai-failover/core/http';
import type { DefaultContext, DefaultState, Middleware } from 'koa';

/** Options of {@link aiFailoverErrorHandler}. */
export type ErrorHandlerOptions = ErrorMappingOptions;

/**
 * A middleware for errors that downstream middleware let through from `ctx.ai`: each ai-failover
 * error is answered with its `httpStatus` and `{ error: { code, message } }` (a neutral message
 * for server errors), plus `retry-after` and the decision trace when known. Anything else is
 * rethrown. Register it before your routes. (Without it, Koa's own handler still answers with the
 * error's status: `ctx.ai` errors carry `status` and `expose`.)
 */
export function aiFailoverErrorHandler<StateT = DefaultState, ContextT = DefaultContext>(
  options?: ErrorHandlerOptions,
): Middleware<StateT, ContextT> {
  const map = createErrorMapper('aiFailoverErrorHandler', options);
  return async function aiFailoverErrorHandler(ctx, next) {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof AiFailoverError) || ctx.headerSent) throw error;
      if (!ctx.writable) {
        ctx.respond = false;
        return;
      }
      const { status, headers, body } = map(error);
      ctx.status = status;
      ctx.set(headers);
      ctx.body = body;
    }
  };
}
