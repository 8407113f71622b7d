/** Without prom-client installed, asking for metrics is a typed configuration error. */
import { ConfigError } from '..';
import { createPrometheusMetrics } from './prometheus';

jest.mock('prom-client', () => {
  const error = new Error("Cannot find module 'prom-client' from 'prometheus.ts'") as Error & {
    code: string;
  };
  error.code = 'MODULE_NOT_FOUND';
  throw error;
});

const source = { on: () => () => {}, health: () => ({}) as never, models: [] };

it('throws a ConfigError saying to install prom-client', () => {
  let thrown: unknown;
  try {
    createPrometheusMetrics(source, {});
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect(thrown).toMatchObject({
    code: 'AI_CONFIG_INVALID',
    issues: [{ path: 'metrics', message: expect.stringContaining('install it (npm install prom-client)') }],
  });
});

it('lets another failure inside prom-client through as it is', () => {
  jest.resetModules();
  jest.doMock('prom-client', () => {
    throw new TypeError('prom-client broke');
  });
  const { createPrometheusMetrics: create } =
    jest.requireActual<typeof import('./prometheus')>('./prometheus');
  expect(() => create(source, {})).toThrow('prom-client broke');
});
