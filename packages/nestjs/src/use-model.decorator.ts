import { type CustomDecorator, SetMetadata } from '@nestjs/common';
import { USE_MODEL_METADATA } from './ai-failover.constants';
import type { ModelSelection, UseModelOptions } from './ai-failover.context';

/**
 * Selects the model group the `AiFailoverService` calls of a handler use, on a method or on a
 * controller class (for all its methods). A method's decorator replaces its class's; an explicit
 * `model` passed to a call replaces both.
 *
 * ```ts
 * @UseModel('gpt-4.1', { fallbacks: ['claude'], deadlineMs: 20_000 })
 * @Post('answer')
 * answer(@Body() body: Question) {
 *   return this.ai.chat({ messages: body.messages });
 * }
 * ```
 *
 * @throws TypeError when the arguments are not valid, at class definition.
 */
export function UseModel(model: string, options: UseModelOptions = {}): CustomDecorator<symbol> {
  return SetMetadata(USE_MODEL_METADATA, modelSelection(model, options));
}

function modelSelection(model: unknown, options: UseModelOptions): Readonly<ModelSelection> {
  if (typeof model !== 'string' || model.trim() === '') {
    throw new TypeError(`@UseModel(model): model must be a non-empty string, got ${describe(model)}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `@UseModel('${model}', options): options must be an object, got ${describe(options)}`,
    );
  }
  const selection: ModelSelection = { model };
  const { fallbacks, deadlineMs } = options;
  if (fallbacks !== undefined) {
    if (!Array.isArray(fallbacks) || fallbacks.some((f) => typeof f !== 'string' || f === '')) {
      throw new TypeError(
        `@UseModel('${model}', { fallbacks }): fallbacks must be an array of model group names, got ${describe(fallbacks)}`,
      );
    }
    selection.fallbacks = Object.freeze([...fallbacks]);
  }
  if (deadlineMs !== undefined) {
    if (typeof deadlineMs !== 'number' || !Number.isFinite(deadlineMs) || deadlineMs <= 0) {
      throw new TypeError(
        `@UseModel('${model}', { deadlineMs }): deadlineMs must be a positive number of milliseconds, got ${describe(deadlineMs)}`,
      );
    }
    selection.deadlineMs = deadlineMs;
  }
  return Object.freeze(selection);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : String(value);
}
