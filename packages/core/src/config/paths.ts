/** Formatting of config paths such as `providers[1].baseUrl`. */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Formats a path as it would be written in JavaScript: `providers[1].baseUrl`,
 * `models.smart.deployments[0].provider`. Keys that are not identifiers are quoted
 * (`models["gpt-4.1"].strategy`) so the path stays unambiguous. The empty path is `''`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const name = typeof segment === 'symbol' ? (segment.description ?? 'symbol') : segment;
    if (IDENTIFIER.test(name)) out += out ? `.${name}` : name;
    else out += `[${JSON.stringify(name)}]`;
  }
  return out;
}
