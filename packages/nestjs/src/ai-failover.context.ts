/**
 * The per-request context the service's calls read: the model chosen by `@UseModel()` and the
 * signal that fires when the HTTP client goes away.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AiCaller, AiClient, CallOptions } from '@ai-failover/core';

/** What `@UseModel()` selects for a handler. */
export interface UseModelOptions {
  /** Groups tried, in order, after every deployment of the model has failed (replaces the configured ones). */
  fallbacks?: readonly string[];
  /** Budget of each call the handler makes (default: the policy's `deadlineMs`). */
  deadlineMs?: number;
}

/** The model selection `@UseModel()` stores on a method or a class. */
export interface ModelSelection extends UseModelOptions {
  /** Model group name. */
  model: string;
}

/** The context a request runs in. */
export interface AiFailoverContext {
  readonly model?: string;
  readonly fallbacks?: readonly string[];
  readonly deadlineMs?: number;
  /** Aborts when the HTTP client disconnects before the response finished. */
  readonly signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<AiFailoverContext>();

/** The context of the current request, if the call runs inside one. */
export function getAiFailoverContext(): AiFailoverContext | undefined {
  return storage.getStore();
}

/** Runs `fn` inside `context` (the interceptor does this for every handler). */
export function runInAiFailoverContext<T>(context: AiFailoverContext, fn: () => T): T {
  return storage.run(context, fn);
}

/**
 * The caller and options of one call: the explicit options win; the context supplies the rest.
 * A call that names its own `model` drops the context's model and fallbacks (they belong together);
 * the context's deadline and signal still apply.
 */
export function resolveCall(
  client: AiClient,
  options: CallOptions | undefined,
  context: AiFailoverContext | undefined = storage.getStore(),
): { caller: AiCaller; options: CallOptions } {
  const explicit: CallOptions = {};
  if (options) {
    for (const [key, value] of Object.entries(options)) {
      if (value !== undefined) (explicit as Record<string, unknown>)[key] = value;
    }
  }
  if (!context) return { caller: client, options: explicit };
  const defaults: CallOptions = {};
  if (explicit.model === undefined) {
    if (context.model !== undefined) defaults.model = context.model;
    if (context.fallbacks !== undefined) defaults.fallbacks = context.fallbacks;
  }
  if (context.deadlineMs !== undefined) defaults.deadlineMs = context.deadlineMs;
  if (context.signal) defaults.signal = context.signal;
  if (Object.keys(defaults).length === 0) return { caller: client, options: explicit };
  return { caller: client.bind(defaults), options: explicit };
}
