/** An AbortSignal that fires when the HTTP client hangs up before its response has finished. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LightSignal } from '../engine/signal';

/** A request's disconnect signal and the way to stop watching early. */
export interface RequestSignal {
  /** Aborted when the client disconnects before the response has been fully sent. */
  readonly signal: AbortSignal;
  /** Stops watching the response (also done by itself once the response closes). Idempotent. */
  dispose(): void;
}

/** Thrown into the signal when the client disconnects: `signal.reason`. */
export class ClientDisconnectedError extends Error {
  constructor() {
    super('The HTTP client disconnected before the response was complete');
    this.name = 'ClientDisconnectedError';
  }
}

/**
 * Watches `res` for a `close` that comes before the response finished: the client hung up, so
 * every upstream call made for it should stop. (`req` emits `close` as soon as its body has been
 * read on Node 20, so it cannot tell a hang-up apart on its own.) The listener is removed when the
 * response closes, however it ends.
 */
export function requestSignal(req: IncomingMessage, res: ServerResponse): RequestSignal {
  const controller = new AbortController();
  if (res.writableFinished) return { signal: controller.signal, dispose: noop };
  if (res.destroyed || req.socket?.destroyed) {
    controller.abort(new ClientDisconnectedError());
    return { signal: controller.signal, dispose: noop };
  }
  let watching = true;
  const dispose = () => {
    if (!watching) return;
    watching = false;
    res.off('close', onClose);
  };
  const onClose = () => {
    dispose();
    if (!res.writableFinished) controller.abort(new ClientDisconnectedError());
  };
  res.on('close', onClose);
  return { signal: controller.signal, dispose };
}

/**
 * {@link requestSignal} for the routes' own calls: the same watch, on a `LightSignal` (the engine
 * takes it as a bound signal) rather than an `AbortController` per request.
 */
export function watchResponse(
  req: IncomingMessage,
  res: ServerResponse,
): { readonly signal: LightSignal; dispose(): void } {
  const signal = new LightSignal();
  if (res.writableFinished) return { signal, dispose: noop };
  if (res.destroyed || req.socket?.destroyed) {
    signal.abort(new ClientDisconnectedError());
    return { signal, dispose: noop };
  }
  const onClose = () => {
    res.off('close', onClose);
    if (!res.writableFinished) signal.abort(new ClientDisconnectedError());
  };
  res.on('close', onClose);
  return { signal, dispose: () => res.off('close', onClose) };
}

function noop(): void {}
