import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { USE_MODEL_METADATA } from './ai-failover.constants';
import type { ModelSelection } from './ai-failover.context';

/**
 * Injects the model group `@UseModel()` selects for the handler (its method's, else its class's),
 * or `undefined` when neither is decorated (calls then use the config's default model).
 *
 * ```ts
 * @UseModel('gpt-4.1')
 * @Get('which')
 * which(@AiModel() model: string | undefined) { return { model }; }
 * ```
 */
export const AiModel: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const selection = (Reflect.getMetadata(USE_MODEL_METADATA, context.getHandler()) ??
      Reflect.getMetadata(USE_MODEL_METADATA, context.getClass())) as ModelSelection | undefined;
    return selection?.model;
  },
);
