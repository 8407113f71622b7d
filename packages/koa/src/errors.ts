/** `app.use(aiFailoverErrorHandler())`: answers the typed errors of `ctx.ai` calls as JSON. */
import { createErrorMapper, type ErrorHandlerOptions } from '@ai-failover/core/http';
import type { DefaultContext, DefaultState, Middleware } from 'koa';

export type { ErrorHandlerOptions };

/**
 * A middleware for errors that downstream middleware let through from `ctx.ai`: each ai-failover
 * error is answered with its `status` and the OpenAI error body
 * `{ error: { message, type, param, code } }` (a neutral message for server errors), plus
 * `retry-after` and the decision trace when known. A body parser's error (`@koa/bodyparser` on a
 * malformed or too large body) is answered in the same shape, so the OpenAI-compatible routes keep
 * their error shape when the body parser is mounted before the middleware. Anything else is
 * rethrown. Register it first. (Without it, Koa's own handler still answers with the error's
 * status and `retry-after`: the errors carry `status`, `expose` and `headers`.)
 */
export function aiFailoverErrorHandler<StateT = DefaultState, ContextT = DefaultContext>(
  options?: ErrorHandlerOptions,
): Middleware<StateT, ContextT> {
  const map = createErrorMapper('aiFailoverErrorHandler', options);
  return async function aiFailoverErrorHandler(ctx, next) {
    try {
      await next();
    } catch (error) {
      const answer = ctx.headerSent ? undefined : map(error);
      if (!answer) throw error;
      if (!ctx.writable) {
        ctx.respond = false;
        return;
      }
      ctx.status = answer.status;
      ctx.set(answer.headers);
      ctx.body = answer.body;
    }
  };
}
