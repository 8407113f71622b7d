import { requestSignal } from '@ai-failover/core/http';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { USE_MODEL_METADATA } from './ai-failover.constants';
import { type AiFailoverContext, type ModelSelection, runInAiFailoverContext } from './ai-failover.context';
import { nodeRequest, nodeResponse } from './node-message';

/**
 * Runs every handler inside an ai-failover context: the `@UseModel()` selection of the handler
 * (method first, then class) and a signal that aborts when the HTTP client disconnects before
 * the response finished. `AiFailoverService` calls made by the handler read that context, so a
 * client that hangs up stops the upstream LLM call. Registered app-wide by `AiFailoverModule`.
 */
@Injectable()
export class AiFailoverContextInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const selection = this.reflector.getAllAndOverride<ModelSelection | undefined>(USE_MODEL_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    const signal = context.getType() === 'http' ? disconnectSignal(context) : undefined;
    const store: AiFailoverContext = Object.freeze({
      model: selection?.model,
      fallbacks: selection?.fallbacks,
      deadlineMs: selection?.deadlineMs,
      signal,
    });
    // The handler runs when the returned Observable is subscribed to, so the context is entered
    // there; Nest binds what `next.handle()` defers to the context it is called in.
    return new Observable((subscriber) => {
      const subscription = runInAiFailoverContext(store, () => next.handle().subscribe(subscriber));
      return () => subscription.unsubscribe();
    });
  }
}

/**
 * The core's disconnect signal of the request (the same one the Express and Koa adapters use):
 * it aborts when the response's connection closes before the response finished, and stops
 * listening once the response closes.
 */
function disconnectSignal(context: ExecutionContext): AbortSignal | undefined {
  const http = context.switchToHttp();
  const req = nodeRequest(http.getRequest<unknown>());
  const res = nodeResponse(http.getResponse<unknown>());
  return req && res ? requestSignal(req, res).signal : undefined;
}
