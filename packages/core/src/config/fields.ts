/**
 * Building blocks of the config schema and of every option schema (HTTP routes, dashboard, error
 * handlers, Redis sharing, Nest decorators), each with messages that say what is expected.
 */
import { z } from 'zod';
import { describeOption, expected, quoteList } from './messages';
import { parseByteSize } from './size';

/** An HTTP header name (an RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** The start of a Prometheus metric name. */
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** A URL path: a leading `/`, no query, no spaces, no empty segment. */
const ROUTE_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;

/** A number accepted when `test` passes; otherwise `must be <what>, got <value>`. */
export function numberField(what: string, test: (value: number) => boolean) {
  return z.custom<number>((value) => typeof value === 'number' && test(value), {
    abort: true,
    error: (issue) => expected(what, issue.input),
  });
}

/** An integer greater than 0, at most `max` when given. */
export function positiveInt(max?: number) {
  const isPositiveInt = (value: unknown): value is number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
  return z.custom<number>((value) => isPositiveInt(value) && (max === undefined || value <= max), {
    abort: true,
    error: (issue) =>
      isPositiveInt(issue.input)
        ? `must be at most ${max}, got ${issue.input}`
        : expected('a positive integer', issue.input),
  });
}

/** An integer greater than or equal to 0, at most `max` when given. */
export function nonNegativeInt(max?: number) {
  const isNonNegativeInt = (value: unknown): value is number =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  return z.custom<number>((value) => isNonNegativeInt(value) && (max === undefined || value <= max), {
    abort: true,
    error: (issue) =>
      isNonNegativeInt(issue.input)
        ? `must be at most ${max}, got ${issue.input}`
        : expected('a non-negative integer', issue.input),
  });
}

/** An integer from `min` to `max`, both included. */
export function intBetween(min: number, max: number) {
  return numberField(`an integer from ${min} to ${max}`, (n) => Number.isInteger(n) && n >= min && n <= max);
}

/** A number from `min` to `max`, both included. */
export function numberBetween(min: number, max: number) {
  return numberField(`a number from ${min} to ${max}`, (n) => n >= min && n <= max);
}

/** A finite number greater than 0. */
export function positiveNumber() {
  return numberField('a positive number', (n) => Number.isFinite(n) && n > 0);
}

/** A finite number greater than or equal to 0. */
export function nonNegativeNumber() {
  return numberField('a finite number >= 0', (n) => Number.isFinite(n) && n >= 0);
}

/** A size in bytes: a positive integer or a string like `'512kb'`, `'1mb'`; parsed to bytes. */
export function byteSize() {
  return z
    .custom<number | string>((value) => parseByteSize(value) !== undefined, {
      abort: true,
      error: (issue) =>
        issue.input === undefined
          ? 'is required (a size in bytes)'
          : `must be a positive number of bytes or a size like "512kb" or "1mb", got ${describeOption(issue.input)}`,
    })
    .transform((value) => parseByteSize(value)!);
}

/** A string with at least one character. */
export function nonEmptyString(what = 'a non-empty string') {
  return z
    .string({ error: (issue) => expected(what, issue.input) })
    .refine((value) => value.length > 0, { error: 'must not be empty' });
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (issue) => {
      const got = typeof issue.input === 'string' ? JSON.stringify(issue.input) : undefined;
      return got === undefined
        ? expected(`one of ${quoteList(values)}`, issue.input)
        : `must be one of ${quoteList(values)}, got ${got}`;
    },
  });
}

/** An array (`what` describes it when the value is not one). */
export function arrayOf<T extends z.ZodType>(element: T, what: string) {
  return z.array(element, { error: (issue) => expected(what, issue.input) });
}

/**
 * An object that accepts only the keys of `shape`; each other key is reported as an unknown
 * option.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T, what = 'an object') {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'invalid_type' ? expected(what, issue.input) : undefined),
  });
}

/** A value `test` accepts, else `must be <what>, got <value>`; strings are quoted in the message. */
export function checked<T>(what: string, test: (value: unknown) => boolean) {
  return z.custom<T>(test, {
    abort: true,
    error: (issue) =>
      issue.input === undefined
        ? `is required (${what})`
        : `must be ${what}, got ${describeOption(issue.input)}`,
  });
}

/** A value `problemOf` finds nothing wrong with; otherwise the message it returns. */
export function customField<T>(problemOf: (value: unknown) => string | undefined) {
  return z.unknown().transform((value, ctx) => {
    const problem = problemOf(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    return value as T;
  });
}

/** A function; `signature` shows what it is called with, e.g. `(req) => boolean | Promise<boolean>`. */
export function functionField<T extends (...args: never[]) => unknown>(signature: string) {
  return checked<T>(`a function ${signature}`, (value) => typeof value === 'function');
}

/** An HTTP header name. */
export function headerName(what = 'a header name') {
  return checked<string>(what, (value) => typeof value === 'string' && HEADER_NAME.test(value));
}

/** A Prometheus metric name prefix, e.g. `ai_`. */
export function metricPrefix() {
  return checked<string>(
    'a Prometheus metric name prefix (letters, digits, "_" or ":", not starting with a digit), e.g. "ai_"',
    (value) => typeof value === 'string' && METRIC_PREFIX.test(value),
  );
}

/** A path to serve a route at: `/` first, no query, no spaces, no `//`. */
export function routePath() {
  return checked<string>(
    'a path starting with "/" (no query, no spaces)',
    (value) => typeof value === 'string' && ROUTE_PATH.test(value) && !value.includes('//'),
  );
}

/** A path without its trailing slashes (`/` stays `/`). */
export function trimPath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') || '/' : path;
}
