/**
 * Removes secrets from text that leaves the library (error messages, reports, logs): every
 * configured key and credential header value, masked key fragments some providers echo back
 * (`sk-proj-****abcd`), and URL credentials.
 */
const KEY_LIKE = /\b(?:sk|pk|rk|key|api)[-_][A-Za-z0-9*._-]{6,}/gi;
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]+(?::[^\s/@]*)?@/gi;
const BEARER = /(bearer\s+)[^\s"',]+/gi;

export type Redactor = (text: string) => string;

/** Header names whose values are credentials: `api-key`, `x-api-key`, `x-auth-token`, `cookie`... */
const SECRET_HEADER = /key|token|secret|auth|passw|signature|cookie|credential|session/i;

/** The providers' secrets: every key, and the value of every header whose name says it is a credential. */
export function secretsOf(
  providers: Iterable<{ keys: readonly string[]; headers: Readonly<Record<string, string>> }>,
): string[] {
  const secrets: string[] = [];
  for (const provider of providers) {
    secrets.push(...provider.keys);
    for (const [name, value] of Object.entries(provider.headers)) {
      if (SECRET_HEADER.test(name)) secrets.push(value);
    }
  }
  return secrets;
}

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
