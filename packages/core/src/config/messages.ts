/** Wording shared by the config and option messages. Only {@link describeOption} prints a string value. */
import { didYouMean } from './suggest';

/** A short description of a value for a message: `-5`, `null`, `a string`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return 'a bigint';
    case 'string':
      return 'a string';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default:
      return 'an object';
  }
}

/** The kind of a value, never the value itself: `a number`, `a string`, `null`. */
export function describeType(value: unknown): string {
  return typeof value === 'number' || typeof value === 'boolean' ? `a ${typeof value}` : describeValue(value);
}

/** `is required (<what>)` for a missing value, else `must be <what>, got <value>`. */
export function expected(what: string, input: unknown): string {
  return input === undefined ? `is required (${what})` : `must be ${what}, got ${describeValue(input)}`;
}

/** Like {@link expected}, but names only the type of a wrong value (for secret-bearing fields). */
export function expectedType(what: string, input: unknown): string {
  return input === undefined ? `is required (${what})` : `must be ${what}, got ${describeType(input)}`;
}

/** Quotes and joins names: `"a", "b"`, or `(none)` for an empty list. */
export function quoteList(names: Iterable<string>): string {
  const quoted = Array.from(names, (name) => JSON.stringify(name));
  return quoted.length ? quoted.join(', ') : '(none)';
}

/** `unknown <kind> "x"; did you mean "y"? Configured <kind>s: "a", "b"`. */
export function unknownName(kind: string, name: string, known: readonly string[]): string {
  const hint = didYouMean(name, known) || '.';
  return `unknown ${kind} ${JSON.stringify(name)}${hint} Configured ${kind}s: ${quoteList(known)}`;
}

/**
 * A value for a message about an option that holds no secret (a path, a header name): strings are
 * shown quoted (cut at 60 characters), numbers as they are, anything else by its type.
 */
export function describeOption(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number') return String(value);
  return describeType(value);
}

/** A plain object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
