/**
 * Every package entry, as built (`pnpm build` runs before the tests), loads through its `exports`
 * map from both `require` and `import`, with its named exports and its type declarations; so do
 * the subpaths `@ai-failover/core/http`, `@ai-failover/core/options` and `@ai-failover/testing/support`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const expected: Record<string, string[]> = {
  'core/http': ['createAiHttpHandler', 'createAdapterHandler', 'createDashboard', 'requestSignal'],
  'core/options': ['parseOptions', 'strictObject', 'customField', 'loggerSchema'],
  'testing/support': ['providers', 'post', 'parseSse', 'activeResources'],
  core: [
    'AiClient',
    'createAiClient',
    'ConfigError',
    'UpstreamError',
    'AllAttemptsFailedError',
    'ChatStream',
  ],
  testing: ['MockProvider', 'fault'],
  express: ['aiFailover', 'aiFailoverErrorHandler'],
  koa: ['aiFailover', 'aiFailoverErrorHandler'],
  nestjs: ['AiFailoverModule', 'AiFailoverService', 'UseModel'],
  redis: ['shareStateThroughRedis'],
};

/** Runs a script inside the package's folder, where Node resolves the package's own name through its `exports`. */
function run(dir: string, args: string[]): string {
  return execFileSync(process.execPath, args, { cwd: join(root, 'packages', dir), encoding: 'utf8' });
}

describe.each(Object.keys(expected))('@ai-failover/%s as built', (specifier) => {
  const names = expected[specifier]!;
  const [dir, subpath] = specifier.split('/') as [string, string | undefined];
  const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) as {
    exports: Record<string, Record<string, string>>;
    typesVersions?: Record<string, Record<string, string[]>>;
  };

  test('ships JS and type declarations', () => {
    const entry = manifest.exports[subpath ? `./${subpath}` : '.']!;
    for (const file of [entry.require!, entry.import!, entry.types!]) {
      expect(existsSync(join(root, 'packages', dir, file))).toBe(true);
    }
    // TypeScript's older `node10` resolution ignores `exports`: `typesVersions` leads it to the subpath.
    if (subpath) expect(manifest.typesVersions?.['*']?.[subpath]).toEqual([entry.types]);
  });

  test('loads with require()', () => {
    const out = run(dir, [
      '-e',
      `const m = require('@ai-failover/${specifier}'); console.log(JSON.stringify(Object.keys(m)))`,
    ]);
    expect(JSON.parse(out)).toEqual(expect.arrayContaining(names));
  });

  test('loads with import, named exports included', () => {
    const imports = names.join(', ');
    const out = run(dir, [
      '--input-type=module',
      '-e',
      `import { ${imports} } from '@ai-failover/${specifier}'; console.log(JSON.stringify([${imports}].map((x) => typeof x)))`,
    ]);
    for (const type of JSON.parse(out) as string[]) expect(['function', 'object']).toContain(type);
  });
});
