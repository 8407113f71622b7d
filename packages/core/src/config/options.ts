/**
 * Validation of the options of every factory (HTTP routes, dashboard, error handlers, Redis
 * sharing, Nest decorators) the way the config is validated: one zod schema, every problem listed
 * in one `ConfigError`, each named by its path with the config's wording and "did you mean" hints.
 */
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, InvalidRequestError } from '../errors';
import { toConfigIssues } from './issues';

/**
 * The options parsed by `schema`, or a `ConfigError` listing every problem, each path starting
 * with `name` (`express.openai.authorize: must be a function ...`). The input is not changed.
 */
export function parseOptions<T extends z.ZodType>(schema: T, input: unknown, name: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ConfigError(optionIssues(parsed.error, schema, name));
}

/**
 * The options of one call parsed by `schema`, or an `InvalidRequestError` naming the first field
 * at fault (`options.deadlineMs`): a bad call is the caller's error, not a configuration's.
 */
export function parseCallOptions<T extends z.ZodType>(schema: T, input: unknown, name: string): z.output<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const [issue] = optionIssues(parsed.error, schema, name);
  throw new InvalidRequestError(issue!.message, issue!.path);
}

/** The issues of a failed parse, each path under `name` (`express` + `openai.path`). */
function optionIssues(error: z.ZodError, schema: z.ZodType, name: string): ConfigIssue[] {
  return toConfigIssues(error.issues, schema).map(({ path, message }) => ({
    path: path === '' ? name : path.startsWith('[') ? `${name}${path}` : `${name}.${path}`,
    message,
  }));
}
