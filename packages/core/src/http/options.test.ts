import { ConfigError } from '../errors';
import { type AiHttpRouteOptions, resolveHttpOptions } from './options';

const context = { name: 'express', models: ['gpt-4.1', 'embed'] };
const authorize = () => true;

function issuesOf(options: unknown): string[] {
  try {
    resolveHttpOptions(options as AiHttpRouteOptions, context);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('resolveHttpOptions', () => {
  test('defaults: health and metrics on, OpenAI routes off, the default trace header', () => {
    const resolved = resolveHttpOptions(undefined, context);
    expect(resolved.health).toEqual({ path: '/health', live: '/health/live', ready: '/health/ready' });
    expect(resolved.metrics).toEqual({ path: '/metrics' });
    expect(resolved.openai).toBe(false);
    expect(resolved.traceHeader).toBe('x-ai-failover-trace');
    expect(resolved.affinityKey).toBeUndefined();
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  test('paths are normalised and the OpenAI routes derived from their prefix', () => {
    const resolved = resolveHttpOptions(
      {
        health: { path: '/status/' },
        metrics: false,
        openai: { path: '/api/v1', authorize, bodyLimit: '2mb' },
      },
      context,
    );
    expect(resolved.health).toMatchObject({ path: '/status', ready: '/status/ready' });
    expect(resolved.metrics).toBe(false);
    expect(resolved.openai).toMatchObject({
      chat: '/api/v1/chat/completions',
      embeddings: '/api/v1/embeddings',
      models: '/api/v1/models',
      bodyLimit: 2 * 1024 * 1024,
      exposed: undefined,
    });
  });

  test('the caller object is not changed', () => {
    const options = { openai: { authorize, models: ['embed'] }, traceHeader: 'X-Trace' };
    const copy = JSON.stringify(options);
    const resolved = resolveHttpOptions(options, context);
    expect(JSON.stringify(options)).toBe(copy);
    expect(resolved.traceHeader).toBe('x-trace');
    expect(resolved.openai && [...(resolved.openai.exposed ?? [])]).toEqual(['embed']);
  });

  test('a missing authorize is named, with why it is required', () => {
    expect(issuesOf({ openai: {} })).toEqual([
      expect.stringMatching(
        /^express\.openai\.authorize: must be a function .*got undefined; it is required/,
      ),
    ]);
    expect(issuesOf({ openai: { authorize: 'yes' } })[0]).toMatch(
      /^express\.openai\.authorize: must be a function .*got a string/,
    );
    expect(issuesOf({ openai: true })).toEqual([
      expect.stringMatching(
        /^express\.openai: must be false or an object .*got true: the routes need authorize/,
      ),
    ]);
  });

  test('every problem is listed, each named by its path, with did-you-mean hints', () => {
    const issues = issuesOf({
      helth: { path: '/h' },
      metrics: { path: 'metrics' },
      openai: { authorize, bodyLimit: '1 lightyear', models: ['gpt-4.2', 7] },
      affinityKey: 42,
      traceHeader: 'bad header',
    });
    expect(issues).toEqual([
      expect.stringMatching(/^express\.metrics\.path: must be a path starting with "\/".*got "metrics"/),
      expect.stringMatching(/^express\.openai\.bodyLimit: .*got "1 lightyear"/),
      'express.openai.models[0]: unknown model group "gpt-4.2"; did you mean "gpt-4.1"? Configured model groups: "gpt-4.1", "embed"',
      'express.openai.models[1]: must be the name of a model group, got 7',
      'express.affinityKey: must be a header name or a function, got 42',
      'express.traceHeader: must be a header name, got "bad header"',
      'express.helth: unknown option; did you mean "health"?',
    ]);
  });

  test('a header-name affinity key reads the first value of that header', () => {
    const resolved = resolveHttpOptions({ affinityKey: 'X-User' }, context);
    const req = { headers: { 'x-user': ['u1', 'u2'] } } as never;
    expect(resolved.affinityKey?.(req, req)).toBe('u1');
    const none = { headers: {} } as never;
    expect(resolved.affinityKey?.(none, none)).toBeUndefined();
  });

  test('a function affinity key only yields non-empty strings', () => {
    const values: unknown[] = ['session-1', '', 12];
    const resolved = resolveHttpOptions({ affinityKey: () => values.shift() as string }, context);
    const req = { headers: {} } as never;
    expect([1, 2, 3].map(() => resolved.affinityKey?.(req, req))).toEqual([
      'session-1',
      undefined,
      undefined,
    ]);
  });

  test('options that are not an object are refused', () => {
    expect(() => resolveHttpOptions('yes' as never, context)).toThrow(
      /express: must be an options object, got a string/,
    );
  });

  test('fastPath: off by default, a boolean, and only with the OpenAI routes', () => {
    expect(resolveHttpOptions(undefined, context).fastPath).toBe(false);
    expect(resolveHttpOptions({ fastPath: true, openai: { authorize } }, context).fastPath).toBe(true);
    expect(issuesOf({ fastPath: 'yes', openai: { authorize } })).toEqual([
      'express.fastPath: must be true or false, got a string',
    ]);
    expect(issuesOf({ fastPath: true })).toEqual([
      'express.fastPath: serves the OpenAI-compatible routes: it needs `openai` ({ authorize })',
    ]);
  });
});
