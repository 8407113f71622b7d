import {
  type CallHandler,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import { USE_MODEL_METADATA } from './ai-failover.constants';
import { type AiFailoverContext, type ModelSelection, runInAiFailoverContext } from './ai-failover.context';

/** The part of a Node.js `ServerResponse` the interceptor listens on. */
interface ClosableResponse {
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
}

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

/** A signal that aborts when the response's connection closes before the response finished. */
function disconnectSignal(context: ExecutionContext): AbortSignal | undefined {
  const response = rawResponse(context.switchToHttp().getResponse<unknown>());
  if (!response) return undefined;
  const controller = new AbortController();
  // 'close' fires once per response, finished or not, so the listener never outlives the request.
  response.once('close', () => {
    if (!response.writableFinished) controller.abort(new Error('the HTTP client disconnected'));
  });
  return controller.signal;
}

/** The Node.js response behind an Express response (itself) or a Fastify reply (`raw`). */
function rawResponse(response: unknown): ClosableResponse | undefined {
  const candidate =
    response && typeof response === 'object' && 'raw' in response
      ? (response as { raw: unknown }).raw
      : response;
  if (
    candidate &&
    typeof candidate === 'object' &&
    typeof (candidate as ClosableResponse).once === 'function' &&
    'writableFinished' in candidate
  ) {
    return candidate as ClosableResponse;
  }
  return undefined;
}
