/** Headers as undici's dispatch handlers receive them: `[name, value, name, value, ...]`. */
export type RawHeaders = readonly (Buffer | string)[];

/** The parsed form: lower-case names; a repeated name holds an array. */
export type ParsedHeaders = Record<string, string | string[]>;

/** One header (the first of its name, case-insensitive), as text. */
export function rawHeader(raw: RawHeaders | null | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return undefined;
}

/** Every header, parsed. */
export function parseRawHeaders(raw: RawHeaders | null | undefined): ParsedHeaders {
  const headers: ParsedHeaders = {};
  if (!raw) return headers;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!.toString().toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = headers[key];
    if (seen === undefined) headers[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[key] = [seen, value];
  }
  return headers;
}

const PREFIX = 'x-ratelimit-';

/** Whether any header name starts with `x-ratelimit-` (any case), without parsing the headers. */
export function hasRateLimitHeaders(raw: RawHeaders | null | undefined): boolean {
  if (!raw) return false;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length <= PREFIX.length) continue;
    const first = typeof key === 'string' ? key.charCodeAt(0) : key[0];
    if (first !== 0x78 && first !== 0x58) continue; // x or X
    if (key.toString().slice(0, PREFIX.length).toLowerCase() === PREFIX) return true;
  }
  return false;
}
