export type { Dialect } from './dialects';
export type {
  BadRequestFault,
  ContextLengthFault,
  Fault,
  FaultCommon,
  FaultType,
  FloodFault,
  FloodShape,
  HangFault,
  MalformedJsonFault,
  MockToolCall,
  OkFault,
  RateLimitedFault,
  ReplyShape,
  ResetFault,
  ResetMidStreamFault,
  StallFault,
  StatusFault,
  StreamErrorFault,
  TruncatedFault,
  UnauthorizedFault,
  Usage,
} from './fault-types';
export { fault } from './faults';
export type { Latency } from './latency';
export { sampleLatency } from './latency';
export { type Listening, listen } from './listen';
export { MockProvider } from './mock-provider';
export { type OpenAiErrorBody, openAiError } from './openai-errors';
export { countCompletionTokens, countPromptTokens, countTextTokens, splitContent } from './tokens';
export type {
  FaultHandler,
  MockProviderOptions,
  RateLimitOptions,
  RecordedRequest,
  SchedulePhase,
} from './types';
