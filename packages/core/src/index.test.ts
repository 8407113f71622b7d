/**
 * The root of `@ai-failover/core` is what an app sees: the client, its configuration, errors and
 * `ChatStream`. Adapter plumbing lives in `@ai-failover/core/http`. A name added to the root is a
 * decision: this list has to change with it.
 */
import * as core from '.';
import * as http from './http';
import * as options from './options';

const ROOT = [
  'AbortError',
  'AiClient',
  'AiFailoverError',
  'AllAttemptsFailedError',
  'ChatStream',
  'ClientClosedError',
  'ConfigError',
  'DEFAULTS',
  'DeadlineExceededError',
  'InternalError',
  'InvalidRequestError',
  'RateLimitedError',
  'StreamInterruptedError',
  'UnknownModelError',
  'UnsupportedFeatureError',
  'UpstreamError',
  'createAiClient',
  'resolveConfig',
];

test('the root exports only the user-facing names', () => {
  expect(Object.keys(core).sort()).toEqual([...ROOT].sort());
});

test('adapter plumbing is in @ai-failover/core/http, not in the root', () => {
  const plumbing = [
    'createAdapterHandler',
    'createAiHttpHandler',
    'createDashboard',
    'defineLazy',
    'drained',
    'looksLikeRequest',
    'misuseMessage',
    'requestSignal',
    'formatSseEvent',
  ];
  for (const name of plumbing) {
    expect(http).toHaveProperty(name);
    expect(core).not.toHaveProperty(name);
  }
  // The subpaths add to the root; they do not repeat it.
  expect(Object.keys(http).filter((name) => name in core)).toEqual([]);
  expect(Object.keys(options).filter((name) => name in core)).toEqual([]);
});
