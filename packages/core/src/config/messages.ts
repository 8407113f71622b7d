/** Wording shared by the config messages. No helper here ever prints a string value. */

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
