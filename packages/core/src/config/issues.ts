/** Turning zod issues into `ConfigIssue`s with readable paths and messages. */
import { z } from 'zod';
import type { ConfigIssue } from '../errors';
import { quoteList } from './messages';
import { formatPath } from './paths';
import { closestMatch } from './suggest';

type ZodIssue = z.core.$ZodIssue;

/**
 * Converts the issues of a failed parse of `root`. An unknown-key issue becomes one issue per key,
 * with a "did you mean" hint drawn from the keys the schema accepts there; a failed union reports
 * the issues of the one alternative whose type matched the value, if there is exactly one.
 */
export function toConfigIssues(
  issues: readonly ZodIssue[],
  root: z.core.$ZodType,
  prefix: readonly PropertyKey[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(root, path);
      for (const key of issue.keys) {
        out.push({ path: formatPath([...path, key]), message: unknownOptionMessage(key, known) });
      }
    } else if (issue.code === 'invalid_key') {
      out.push(...toConfigIssues(issue.issues, root, path));
    } else if (issue.code === 'invalid_union') {
      const matching = issue.errors.filter((branch) => !isTypeMismatch(branch));
      if (matching.length === 1) out.push(...toConfigIssues(matching[0]!, root, path));
      else out.push({ path: formatPath(path), message: issue.message });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** `unknown option; did you mean "x"?`, or the list of accepted options when none is close. */
export function unknownOptionMessage(key: string, known: readonly string[]): string {
  const match = closestMatch(key, known);
  if (match !== undefined) return `unknown option; did you mean ${JSON.stringify(match)}?`;
  return known.length ? `unknown option; expected one of ${quoteList(known)}` : 'unknown option';
}

/** Whether a union alternative failed because the value has another type than it accepts. */
function isTypeMismatch(issues: readonly ZodIssue[]): boolean {
  return issues.some(
    (issue) =>
      issue.path.length === 0 &&
      (issue.code === 'invalid_type' ||
        (issue.code === 'invalid_union' && issue.errors.every((branch) => isTypeMismatch(branch)))),
  );
}

/** Keys accepted by the object schema(s) found at `path` under `schema`. */
function knownKeysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const object of objectsAt(schema, path)) for (const key of Object.keys(object.shape)) keys.add(key);
  return [...keys];
}

function objectsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.ZodObject[] {
  if (schema instanceof z.ZodOptional) return objectsAt(schema.unwrap(), path);
  if (schema instanceof z.ZodUnion) return schema.options.flatMap((option) => objectsAt(option, path));
  if (path.length === 0) return schema instanceof z.ZodObject ? [schema] : [];
  const [head, ...rest] = path;
  if (schema instanceof z.ZodObject) {
    const child: z.core.$ZodType | undefined = typeof head === 'string' ? schema.shape[head] : undefined;
    return child ? objectsAt(child, rest) : [];
  }
  if (schema instanceof z.ZodArray) return typeof head === 'number' ? objectsAt(schema.element, rest) : [];
  if (schema instanceof z.ZodRecord) return objectsAt(schema.valueType, rest);
  return [];
}
