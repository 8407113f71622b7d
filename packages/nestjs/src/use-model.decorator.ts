import { ConfigError } from '@ai-failover/core';
import {
  arrayOf,
  checked,
  expected,
  nonEmptyString,
  numberField,
  parseOptions,
  strictObject,
} from '@ai-failover/core/options';
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
 * @throws ConfigError naming each bad argument (`UseModel.deadlineMs: ...`), at class definition.
 */
export function UseModel(model: string, options: UseModelOptions = {}): CustomDecorator<symbol> {
  return SetMetadata(USE_MODEL_METADATA, modelSelection(model, options));
}

const selectionSchema = strictObject(
  {
    model: checked<string>(
      'the name of a model group',
      (value) => typeof value === 'string' && value.trim() !== '',
    ),
    fallbacks: arrayOf(
      nonEmptyString('the name of a model group'),
      'an array of model group names',
    ).optional(),
    deadlineMs: numberField(
      'a positive number of milliseconds',
      (n) => Number.isFinite(n) && n > 0,
    ).optional(),
  },
  'an options object',
);

function modelSelection(model: unknown, options: UseModelOptions): Readonly<ModelSelection> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ConfigError([{ path: 'UseModel.options', message: expected('an options object', options) }]);
  }
  const given = parseOptions(selectionSchema, { ...options, model }, 'UseModel');
  const selection: ModelSelection = { model: given.model };
  if (given.fallbacks) selection.fallbacks = Object.freeze([...given.fallbacks]);
  if (given.deadlineMs !== undefined) selection.deadlineMs = given.deadlineMs;
  return Object.freeze(selection);
}
