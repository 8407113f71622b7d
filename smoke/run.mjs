#!/usr/bin/env node
/**
 * Tarball smoke tests: packs every package as it would be published (`scripts/pack.mjs`, which also
 * runs publint and arethetypeswrong), then, in a temporary directory outside the monorepo, makes a
 * fresh app per framework version, installs the tarballs next to it with plain `npm install` (no
 * `--legacy-peer-deps`, no `--force`), compiles it with TypeScript (strict, `module: node16`,
 * `skipLibCheck: false`, no prom-client or OpenTelemetry installed) and runs it: each app makes real
 * calls to itself against mock providers from the packed `@ai-failover/testing` on 127.0.0.1.
 *
 *   node smoke/run.mjs [app...]      (default: every app; e.g. `node smoke/run.mjs nest10`)
 *
 * SMOKE_KEEP=1 keeps the temporary directory; npm's cache (`npm_config_cache`) is reused.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAndCheck, root } from '../scripts/pack.mjs';

const NEST = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@nestjs/platform-fastify'];

/** The apps: framework packages at a major each, the source they run, and whether they are ESM. */
const APPS = [
  {
    id: 'express4',
    source: 'express.ts',
    packages: ['express'],
    deps: { express: '^4', '@types/express': '^4' },
  },
  {
    id: 'express5',
    source: 'express.ts',
    packages: ['express'],
    deps: { express: '^5', '@types/express': '^5' },
    esm: true,
  },
  { id: 'koa2', source: 'koa.ts', packages: ['koa'], deps: { koa: '^2', '@types/koa': '^2' } },
  { id: 'koa3', source: 'koa.ts', packages: ['koa'], deps: { koa: '^3', '@types/koa': '^3' } },
  ...[
    ['nest10', '^10', '^11', '^4'],
    ['nest11', '^11', '^11', '^5'],
    ['nest12', '^12', '^12', '^5'],
  ].map(([id, nest, terminus, expressTypes]) => ({
    id,
    source: 'nestjs.ts',
    packages: ['nestjs'],
    deps: {
      ...Object.fromEntries(NEST.map((name) => [name, nest])),
      '@nestjs/terminus': terminus,
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
      '@types/express': expressTypes,
    },
    decorators: true,
    // Nest 12 ships ES modules only, and so does a new Nest 12 app: `module: nodenext` models how
    // Node (>= 20.19, which Nest 12 requires) loads them, from ES modules and through require().
    ...(id === 'nest12' ? { esm: true, module: 'nodenext' } : {}),
  })),
  // An existing CommonJS app moved to Nest 12, on the packages installed for nest12.
  {
    id: 'nest12-cjs',
    within: 'nest12',
    source: 'nestjs.ts',
    packages: [],
    deps: {},
    decorators: true,
    module: 'nodenext',
  },
  { id: 'redis', source: 'redis.ts', packages: ['redis'], deps: {} },
  // The README's command, `npm i @ai-failover/nestjs @nestjs/core @nestjs/common`: the newest Nest.
  {
    id: 'nest-latest',
    own: ['core', 'nestjs'],
    deps: { '@nestjs/core': 'latest', '@nestjs/common': 'latest' },
    installOnly: true,
  },
];

/** Packages whose installed versions the summary shows. */
const SHOWN = ['express', 'koa', ...NEST, '@nestjs/terminus', 'fastify'];

function tsVersion() {
  return JSON.parse(readFileSync(join(root, 'node_modules/typescript/package.json'), 'utf8')).version;
}

function run(command, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, output: output.trim(), seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** Runs `task` over `items`, at most `limit` at a time. */
async function pool(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** An app's directory; one `within` another sits inside it and uses its `node_modules`. */
function appDir(work, app) {
  return app.within ? join(work, app.within, app.id) : join(work, app.id);
}

function writeApp(dir, app, tarballs) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const wanted = new Set(app.own ?? ['core', 'testing', ...app.packages]);
  const own = Object.fromEntries(
    tarballs.filter((t) => wanted.has(t.dir)).map((t) => [t.name, `file:${t.tarball}`]),
  );
  const manifest = {
    name: `smoke-${app.id}`,
    private: true,
    type: app.esm ? 'module' : 'commonjs',
    ...(app.within
      ? {}
      : { dependencies: { ...own, ...app.deps }, devDependencies: { '@types/node': '^20.19.0' } }),
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      module: app.module ?? 'node16',
      moduleResolution: app.module ?? 'node16',
      strict: true,
      skipLibCheck: false,
      esModuleInterop: true,
      experimentalDecorators: app.decorators ?? false,
      emitDecoratorMetadata: app.decorators ?? false,
      rootDir: 'src',
      outDir: 'dist',
    },
    include: ['src'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  if (app.installOnly) return;
  copyFileSync(join(root, 'smoke/apps/check.ts'), join(dir, 'src/check.ts'));
  copyFileSync(join(root, 'smoke/apps', app.source), join(dir, 'src/main.ts'));
}

function installed(dir) {
  const versions = {};
  for (const name of SHOWN) {
    try {
      versions[name] = JSON.parse(
        readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'),
      ).version;
    } catch {}
  }
  return versions;
}

async function main() {
  const only = process.argv.slice(2);
  const apps = only.length > 0 ? APPS.filter((app) => only.includes(app.id)) : APPS;
  if (apps.length === 0) throw new Error(`no such app; apps: ${APPS.map((a) => a.id).join(', ')}`);
  const work = mkdtempSync(join(tmpdir(), 'ai-failover-smoke-'));
  const started = Date.now();
  const failures = [];
  try {
    const tarballs = await packAndCheck(join(work, 'tarballs'));
    const needed = [...new Set(apps.flatMap((app) => (app.within ? [app.within] : [])))]
      .filter((id) => !apps.some((app) => app.id === id))
      .map((id) => APPS.find((app) => app.id === id));
    for (const app of [...needed, ...apps]) writeApp(appDir(work, app), app, tarballs);

    const npm = ['install', '--no-audit', '--no-fund', '--loglevel=warn'];
    const installing = [...needed, ...apps.filter((app) => !app.within)];
    const done = await pool(installing, 4, async (app) => {
      const result = await run('npm', npm, { cwd: appDir(work, app), timeoutMs: 300_000 });
      // npm overrides a peer range it cannot meet with a mere warning: count it as the failure it is.
      const conflict = /ERESOLVE|Conflicting peer|overriding peer/i.test(result.output);
      return conflict ? { ...result, ok: false } : result;
    });
    const byId = new Map(installing.map((app, i) => [app.id, done[i]]));
    const installs = apps.map((app) =>
      app.within ? { ...byId.get(app.within), seconds: 0 } : byId.get(app.id),
    );
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const skipped = { ok: true, output: '', seconds: 0, skipped: true };
    const compiles = await pool(apps, 2, (app, i) =>
      app.installOnly
        ? skipped
        : installs[i].ok
          ? run(process.execPath, [tsc, '-p', 'tsconfig.json'], {
              cwd: appDir(work, app),
              timeoutMs: 180_000,
            })
          : { ok: false, output: 'not installed', seconds: 0 },
    );
    const runs = await pool(apps, 2, (app, i) =>
      app.installOnly
        ? skipped
        : compiles[i].ok
          ? run(process.execPath, ['dist/main.js'], {
              cwd: appDir(work, app),
              env: { SMOKE_LABEL: app.id },
              timeoutMs: 90_000,
            })
          : { ok: false, output: 'not compiled', seconds: 0 },
    );

    console.log(`\napp         install  compile  run      versions (TypeScript ${tsVersion()})`);
    apps.forEach((app, i) => {
      const steps = [installs[i], compiles[i], runs[i]];
      const cells = steps.map((s) =>
        (s.skipped ? '-' : `${s.ok ? '' : 'FAIL '}${s.seconds.toFixed(1)}s`).padEnd(8),
      );
      const versions = Object.entries(installed(join(work, app.within ?? app.id)))
        .map(([name, version]) => `${name.replace('@nestjs/', '')}@${version}`)
        .join(' ');
      console.log(`${app.id.padEnd(11)} ${cells.join(' ')} ${versions}`);
      for (const [step, result] of [
        ['npm install', installs[i]],
        ['tsc', compiles[i]],
        ['run', runs[i]],
      ]) {
        if (!result.ok) {
          failures.push(`${app.id}: ${step} failed:\n${result.output}`);
          break;
        }
      }
    });
    console.log('');
    for (const result of runs) if (result.ok && result.output) console.log(result.output);
  } finally {
    if (process.env.SMOKE_KEEP === '1') console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
  console.log(`smoke tests finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length > 0) throw new Error(`\n${failures.join('\n\n')}`);
}

main().catch((error) => {
  console.error(error.message ?? error);
  process.exitCode = 1;
});
