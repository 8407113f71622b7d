/** `app.use(aiFailoverErrorHandler())`: answers the typed errors of `req.ai` calls as JSON. */
import { AiFailoverError } from '@ai-failover/core';
import { createErrorMapper, type ErrorMappingOptions, sendJson } from '@ai-failover/core/http';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';

/** Options of {@link aiFailoverErrorHandler}. */
export type ErrorHandlerOptions = ErrorMappingOptions;

/**
 * An error-handling middleware for errors a route handler let through from `req.ai`: each
 * ai-failover error is answered with its `httpStatus` and `{ error: { code, message } }` (a neutral
 * message for server errors), plus `retry-after` and the decision trace when known. Anything else
 * goes to the next error handler. Register it after your routes.
 */
export function aiFailoverErrorHandler(options?: ErrorHandlerOptions): ErrorRequestHandler {
  const map = createErrorMapper('aiFailoverErrorHandler', options);
  return function aiFailoverErrorHandler(
    error: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (!(error instanceof AiFailoverError) || res.headersSent) {
      next(error);
      return;
    }
    if (res.destroyed) return;
    const { status, headers, body } = map(error);
    sendJson(req, res, status, body, headers);
  };
}
