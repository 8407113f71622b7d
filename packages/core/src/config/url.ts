/** Checking and splitting of provider base URLs. */

/** Parts of a base URL that are safe to use and show. */
export interface BaseUrlParts {
  /** `https://api.openai.com` (no credentials). */
  readonly origin: string;
  /** `/v1`, without trailing slash; `''` for the root. */
  readonly basePath: string;
  /** `origin + basePath`. */
  readonly displayUrl: string;
}

/** What is wrong with a base URL, or `undefined` if it is usable. Never repeats the URL. */
export function baseUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL such as "https://api.openai.com/v1"';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `must be an http(s) URL, got protocol ${JSON.stringify(url.protocol)}`;
  }
  if (url.search || value.includes('?')) return 'must be an http(s) URL without a query string';
  if (url.hash || value.includes('#')) return 'must be an http(s) URL without a fragment (#...)';
  return undefined;
}

/**
 * Splits a valid base URL (see {@link baseUrlProblem}). User name and password in the URL are
 * dropped: they appear in no part and are never sent.
 */
export function splitBaseUrl(value: string): BaseUrlParts {
  const url = new URL(value);
  const basePath = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, basePath, displayUrl: url.origin + basePath };
}
