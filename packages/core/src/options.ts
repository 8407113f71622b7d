/**
 * `@ai-failover/core/options`: validating the options of a package built on the core (a framework
 * adapter, the Redis sharing) the way the core validates its config — zod fields whose messages say
 * what is expected, and `parseOptions()`, which throws one `ConfigError` naming every bad field
 * (`redis.prefix: must be ...`, `unknown option; did you mean "prefix"?`).
 */
export {
  arrayOf,
  checked,
  customField,
  functionField,
  headerName,
  intBetween,
  nonEmptyString,
  nonNegativeInt,
  numberBetween,
  numberField,
  oneOf,
  positiveInt,
  positiveNumber,
  routePath,
  strictObject,
} from './config/fields';
export { describeOption, expected, unknownName } from './config/messages';
export { parseCallOptions, parseOptions } from './config/options';
export { loggerSchema } from './config/schema';
