/**
 * Removes secrets from text that leaves the library (error messages, reports, logs): every
 * configured key, masked key fragments some providers echo back (`sk-proj-****abcd`), and URL
 * credentials.
 */
const KEY_LIKE = /\b(?:sk|pk|rk|key|api)[-_][A-Za-z0-9*._-]{6,}/gi;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;
const BEARER = /(bearer\s+)[^\s"',]+/gi;

export type Redactor = (text: string) => string;

export function createRedactor(secrets: readonly string[]): Redactor {
  const literal = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const secret of literal) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out
      .replace(URL_CREDENTIALS, '$1[redacted]@')
      .replace(BEARER, '$1[redacted]')
      .replace(KEY_LIKE, '[redacted]');
  };
}
