/**
 * The decision after a failed attempt, row by row as the README's outcome table ("How a request is
 * served") states it: the first test holds the table and these rows to the same text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS } from '../config';
import { ResponseLimitError } from '../transport/bounded';
import { type Classification, classifyError, classifyStatus } from './classify';
import { type Decision, type DecisionInput, decide } from './decide';

const policy = DEFAULTS.policy; // backoff 200..2000 ms, maxRetryAfterMs 3000, cooldowns 5000 / 60000
const half = () => 0.5;

const serverError: Classification = { outcome: 'server_error', verdict: 'retry', status: 503, message: 'x' };
const timeout: Classification = { outcome: 'timeout', verdict: 'retry', message: 'x' };
const badResponse: Classification = { outcome: 'bad_response', verdict: 'retry', status: 200, message: 'x' };
const stalled: Classification = { outcome: 'stream_stalled', verdict: 'retry', message: 'x' };
const noFirstToken: Classification = { outcome: 'first_token_timeout', verdict: 'retry', message: 'x' };
const refused: Classification = { outcome: 'connection_error', verdict: 'retry', message: 'x' };
const rateLimited = (retryAfterMs?: number): Classification => ({
  outcome: 'rate_limited',
  verdict: 'rate-limited',
  status: 429,
  message: 'x',
  keyFault: 'rate',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
});
const auth: Classification = {
  outcome: 'auth_error',
  verdict: 'failover',
  status: 401,
  message: 'x',
  keyFault: 'auth',
};
const notFound: Classification = { outcome: 'not_found', verdict: 'failover', status: 404, message: 'x' };
const context: Classification = { outcome: 'context_length', verdict: 'context', status: 400, message: 'x' };
const clientError: Classification = { outcome: 'client_error', verdict: 'fatal', status: 400, message: 'x' };
const redirect = classifyStatus(302, { location: 'http://elsewhere.example' }, undefined);
const overLimit = classifyError(new ResponseLimitError('eventBytes', 1024));

const base: Omit<DecisionInput, 'failure'> = {
  retry: 0,
  retries: 1,
  budgetMs: 30_000,
  otherKeyUsable: false,
  contextFallback: false,
  alternative: false,
};

interface Row {
  /** The three cells of the README row. */
  readonly text: readonly [outcome: string, when: string, then: string];
  /** Inputs the row covers, each with what must come out. */
  readonly cases: ReadonlyArray<readonly [DecisionInput, Decision]>;
}

const FIVE_XX = '5xx, malformed body';
const SPENT = 'timeout, stalled stream, connection refused, reset or cut short';
const retryIn = (waitMs: number): Decision => ({ action: 'retry', waitMs, plan: 'keep' });
const drop: Decision = { action: 'failover', waitMs: 0, plan: 'drop' };
const last: Decision = { action: 'failover', waitMs: 0, plan: 'last' };
const stop: Decision = { action: 'stop', waitMs: 0, plan: 'keep' };
const rateCooldown = (ms: number) => ({ reason: 'rate_limited', ms }) as const;
const authCooldown = { reason: 'auth', ms: 60_000 } as const;

const ROWS: readonly Row[] = [
  {
    text: [
      FIVE_XX,
      'retries left and the wait fits the deadline',
      "retry on the same deployment after a backoff (exponential, full jitter) or the 5xx's `Retry-After` (at most `policy.maxRetryAfterMs`)",
    ],
    cases: [
      // Full jitter: half of min(maxMs, baseMs × 2^retry).
      [{ ...base, failure: serverError }, retryIn(100)],
      [{ ...base, failure: serverError, retry: 1, retries: 3 }, retryIn(200)],
      [{ ...base, failure: badResponse, retry: 5, retries: 10 }, retryIn(1000)],
      [{ ...base, failure: { ...serverError, retryAfterMs: 1500 } }, retryIn(1500)],
      [{ ...base, failure: { ...serverError, retryAfterMs: 60_000 } }, retryIn(3000)],
      // A quick transient failure is retried in place even with another candidate at hand.
      [{ ...base, failure: serverError, alternative: true }, retryIn(100)],
    ],
  },
  {
    text: [
      SPENT,
      'retries left and another candidate can take the call now',
      'fail over at once (the time is spent); this deployment gets its retry last, if every other fails and time is left',
    ],
    cases: [
      [{ ...base, failure: timeout, alternative: true }, last],
      [{ ...base, failure: noFirstToken, alternative: true }, last],
      [{ ...base, failure: stalled, alternative: true }, last],
      [{ ...base, failure: refused, alternative: true, retry: 1, retries: 2 }, last],
    ],
  },
  {
    text: [
      SPENT,
      'retries left, no other candidate, and the wait fits the deadline',
      'retry on the same deployment after a backoff',
    ],
    cases: [
      [{ ...base, failure: timeout }, retryIn(100)],
      [{ ...base, failure: refused, retry: 1, retries: 3 }, retryIn(200)],
    ],
  },
  {
    text: ['any of the above', 'otherwise', 'fail over'],
    cases: [
      [{ ...base, failure: serverError, retries: 0 }, drop],
      [{ ...base, failure: timeout, retry: 1, retries: 1 }, drop],
      [{ ...base, failure: timeout, retries: 0, alternative: true }, drop],
      [{ ...base, failure: serverError, budgetMs: 100 }, drop],
      [{ ...base, failure: stalled, budgetMs: 50 }, drop],
      [{ ...base, failure: { ...serverError, retryAfterMs: 2000 }, budgetMs: 1000 }, drop],
    ],
  },
  {
    text: [
      '429',
      'retries left and another key of the provider is usable',
      'that key cools down for `Retry-After` (or `policy.rateLimitCooldownMs`); retry at once with another key',
    ],
    cases: [
      [
        { ...base, failure: rateLimited(60_000), otherKeyUsable: true },
        { action: 'retry', waitMs: 0, cooldown: rateCooldown(60_000), plan: 'keep' },
      ],
      [
        { ...base, failure: rateLimited(), otherKeyUsable: true },
        { action: 'retry', waitMs: 0, cooldown: rateCooldown(5000), plan: 'keep' },
      ],
    ],
  },
  {
    text: [
      '429',
      'retries left and `Retry-After` ≤ `policy.maxRetryAfterMs` fits the deadline',
      'the key cools down; retry on the same deployment after `Retry-After`',
    ],
    cases: [
      [
        { ...base, failure: rateLimited(1000) },
        { action: 'retry', waitMs: 1000, cooldown: rateCooldown(1000), plan: 'keep' },
      ],
      [
        { ...base, failure: rateLimited(3000) },
        { action: 'retry', waitMs: 3000, cooldown: rateCooldown(3000), plan: 'keep' },
      ],
    ],
  },
  {
    text: [
      '429',
      'otherwise',
      'the key cools down; fail over at once (the deployment may still serve later in the call if it is due back in time)',
    ],
    cases: [
      [
        { ...base, failure: rateLimited(3001) },
        { action: 'failover', waitMs: 0, cooldown: rateCooldown(3001), plan: 'defer' },
      ],
      [
        { ...base, failure: rateLimited(1000), budgetMs: 900 },
        { action: 'failover', waitMs: 0, cooldown: rateCooldown(1000), plan: 'defer' },
      ],
      [
        { ...base, failure: rateLimited(1000), retries: 0, otherKeyUsable: true },
        { action: 'failover', waitMs: 0, cooldown: rateCooldown(1000), plan: 'defer' },
      ],
      [
        { ...base, failure: rateLimited() },
        { action: 'failover', waitMs: 0, cooldown: rateCooldown(5000), plan: 'defer' },
      ],
    ],
  },
  {
    text: [
      '401 / 403',
      'retries left and another key of the provider is usable',
      'that key cools down (`policy.authCooldownMs`); retry at once with another key',
    ],
    cases: [
      [
        { ...base, failure: auth, otherKeyUsable: true },
        { action: 'retry', waitMs: 0, cooldown: authCooldown, plan: 'keep' },
      ],
    ],
  },
  {
    text: [
      '401 / 403',
      'otherwise',
      'the key cools down (the provider shows unhealthy once none is left); fail over',
    ],
    cases: [
      [
        { ...base, failure: auth },
        { action: 'failover', waitMs: 0, cooldown: authCooldown, plan: 'drop' },
      ],
      [
        { ...base, failure: auth, otherKeyUsable: true, retries: 0 },
        { action: 'failover', waitMs: 0, cooldown: authCooldown, plan: 'drop' },
      ],
    ],
  },
  {
    text: ['404 (model not found)', 'always', 'fail over'],
    cases: [
      [{ ...base, failure: notFound }, drop],
      [{ ...base, failure: notFound, retries: 5 }, drop],
    ],
  },
  {
    text: [
      '400 with a context-length error',
      'the group has a `contextFallback` not moved to yet',
      'move the whole plan to that group',
    ],
    cases: [
      [
        { ...base, failure: context, contextFallback: true },
        { action: 'failover', waitMs: 0, plan: 'context-fallback' },
      ],
    ],
  },
  {
    text: ['400 with a context-length error', 'otherwise', 'stop: `UpstreamError`'],
    cases: [[{ ...base, failure: context }, stop]],
  },
  {
    text: [
      'any other 4xx',
      'always',
      "stop: `UpstreamError` with the provider's message — every deployment would refuse it alike",
    ],
    cases: [
      [{ ...base, failure: clientError }, stop],
      [{ ...base, failure: clientError, retries: 5, contextFallback: true, otherKeyUsable: true }, stop],
    ],
  },
  {
    text: ['3xx', 'always', 'fail over: redirects are never followed (the key would go with them)'],
    cases: [
      [{ ...base, failure: redirect }, drop],
      [{ ...base, failure: redirect, retries: 5 }, drop],
    ],
  },
  {
    text: [
      'a body, stream line or event, or pre-token data over `limits`',
      'always',
      'fail over (a bad response of that deployment); what was buffered is dropped and the connection closed',
    ],
    cases: [
      [{ ...base, failure: overLimit }, drop],
      [{ ...base, failure: overLimit, retries: 5 }, drop],
    ],
  },
];

/** The rows of the first table under "## How a request is served" in the README. */
function readmeRows(): string[][] {
  const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How a request is served'));
  const lines = section.split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) {
    rows.push(
      lines[i]!.slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }
  return rows;
}

test('the README’s outcome table has exactly these rows, in this order', () => {
  expect(readmeRows()).toEqual(ROWS.map((row) => [...row.text]));
});

describe.each(ROWS.map((row) => [row.text.join(' / '), row] as const))('%s', (_name, row) => {
  test.each(row.cases.map((c, i) => [i + 1, ...c] as const))('case %i', (_i, input, expected) => {
    expect(decide(input, policy, half)).toEqual(expected);
  });
});

test('the backoff is drawn, never zero by construction: a full draw waits the whole step', () => {
  expect(decide({ ...base, failure: serverError }, policy, () => 0.999).waitMs).toBe(199);
});
