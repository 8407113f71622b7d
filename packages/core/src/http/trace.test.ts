import type { AttemptReport } from '../types';
import { formatTrace, headerSafe } from './trace';

const attempt = (deployment: string, outcome: AttemptReport['outcome'], ms: number, status?: number) =>
  ({
    deployment,
    provider: 'p',
    group: 'g',
    outcome,
    decision: 'failover',
    latencyMs: ms,
    status,
  }) as AttemptReport;

describe('formatTrace', () => {
  test('one compact entry per attempt', () => {
    expect(
      formatTrace([attempt('a/gpt-4.1', 'server_error', 12.4, 503), attempt('b/gpt-4.1', 'success', 40)]),
    ).toBe('a/gpt-4.1;outcome=server_error;status=503;ms=12, b/gpt-4.1;outcome=success;ms=40');
    expect(formatTrace([])).toBe('');
  });

  test('a long trace is cut and counts what it left out', () => {
    const many = Array.from({ length: 200 }, (_, i) =>
      attempt(`provider-${i}/some-long-model-name`, 'timeout', 1),
    );
    const value = formatTrace(many);
    expect(value.length).toBeLessThan(2100);
    expect(value).toMatch(/, \+\d+ more$/);
  });
});

describe('headerSafe', () => {
  test('keeps printable ASCII and percent-encodes separators, spaces and non-ASCII', () => {
    expect(headerSafe('openai/gpt-4.1')).toBe('openai/gpt-4.1');
    expect(headerSafe('a b,c;d=e%')).toBe('a%20b%2Cc%3Bd%3De%25');
    expect(headerSafe('modèle\n')).toBe('mod%C3%A8le%0A');
  });
});
