/** `app.use(aiFailoverErrorHandler())`: answers the typed errors of `req.ai` calls as JSON. */
import { createErrorMapper, type ErrorHandlerOptions, sendJson } from '@ai-failover/core/http';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';

export type { ErrorHandlerOptions };

/**
 * An error-handling middleware for errors a route handler let through from `req.ai`: each
 * ai-failover error is answered with its `status` and the OpenAI error body
 * `{ error: { message, type, param, code } }` (a neutral message for server errors), plus
 * `retry-after` and the decision trace when known. A body parser's error (`express.json()` on a
 * malformed or too large body) is answered in the same shape, so the OpenAI-compatible routes keep
 * their error shape when `express.json()` is mounted before the middleware. Anything else goes to
 * the next error handler. Register it after your routes.
 */
export function aiFailoverErrorHandler(options?: ErrorHandlerOptions): ErrorRequestHandler {
  const map = createErrorMapper('aiFailoverErrorHandler', options);
  return function aiFailoverErrorHandler(
    error: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    const answer = res.headersSent ? undefined : map(error);
    if (!answer) {
      next(error);
      return;
    }
    if (res.destroyed) return;
    sendJson(req, res, answer.status, answer.body, answer.headers);
  };
}
