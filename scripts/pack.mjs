#!/usr/bin/env node
/**
 * Builds the published packages from scratch, packs them with pnpm (which rewrites `workspace:`
 * ranges, as `pnpm publish` does) and checks the tarballs: what they hold, their manifests, publint
 * and arethetypeswrong. Exits non-zero on any finding.
 *
 *   node scripts/pack.mjs [destination]     (default: a new temporary directory)
 *   node scripts/pack.mjs --check a.tgz...  (only the checks, on tarballs packed before)
 *
 * `smoke/run.mjs` imports `packAndCheck()` to install the same tarballs into fresh apps.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const PNPM = ['-y', 'pnpm@10.34.9'];
const REPOSITORY = 'git+https://github.com/ai-failover/ai-failover.git';
const ENGINES = '>=20.18.1';

/** The workspace's public packages: `packages/*`, by directory name. */
export function publicPackages() {
  return readdirSync(join(root, 'packages')).filter((dir) => {
    const manifest = join(root, 'packages', dir, 'package.json');
    try {
      return !JSON.parse(readFileSync(manifest, 'utf8')).private;
    } catch {
      return false;
    }
  });
}

function sh(command, args, options = {}) {
  return execFileSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
}

/** Removes every package's `dist` and builds again, so no output of a deleted source is packed. */
function cleanBuild() {
  for (const dir of publicPackages())
    rmSync(join(root, 'packages', dir, 'dist'), { recursive: true, force: true });
  sh('npx', [...PNPM, 'exec', 'tsc', '-b', ...publicPackages().map((dir) => `packages/${dir}`)]);
}

/** `pnpm pack` of every public package into `dest`; returns `{ dir, name, tarball }` per package. */
function packAll(dest) {
  const out = sh('npx', [...PNPM, '--filter', './packages/*', 'pack', '--pack-destination', dest, '--json']);
  const packed = JSON.parse(out);
  return (Array.isArray(packed) ? packed : [packed]).map((entry) => ({
    dir: entry.name.replace('@ai-failover/', ''),
    name: entry.name,
    tarball: entry.filename,
  }));
}

function tarList(tarball) {
  return sh('tar', ['-tzvf', tarball])
    .trim()
    .split('\n')
    .map((line) => {
      const parts = line.trim().split(/\s+/);
      return {
        size: Number(parts[2]),
        path: parts
          .slice(5)
          .join(' ')
          .replace(/^package\//, ''),
      };
    });
}

function tarFile(tarball, path) {
  return sh('tar', ['-xzOf', tarball, `package/${path}`]);
}

/** Every `./...` file the manifest points at: main, types, bin, exports targets. */
function entryFiles(manifest) {
  const files = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})];
  const walk = (value) => {
    if (typeof value === 'string') files.push(value);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) walk(v);
  };
  walk(manifest.exports);
  for (const paths of Object.values(manifest.typesVersions?.['*'] ?? {})) files.push(...paths);
  return [...new Set(files.filter(Boolean).map((f) => f.replace(/^\.\//, '')))];
}

/** What a published tarball must and must not hold; returns the problems found. */
function checkContents(pkg, files, manifest, readme) {
  const problems = [];
  const paths = new Set(files.map((f) => f.path));
  for (const f of files) {
    if (/\.tsbuildinfo$/.test(f.path)) problems.push(`ships build info ${f.path}`);
    if (/\.map$/.test(f.path)) problems.push(`ships source map ${f.path}`);
    if (/(^|\/)(src|test|__tests__)\//.test(f.path) || /\.test\.(js|d\.ts)$/.test(f.path)) {
      problems.push(`ships a source or test file ${f.path}`);
    }
  }
  for (const required of ['package.json', 'README.md', 'LICENSE']) {
    if (!paths.has(required)) problems.push(`lacks ${required}`);
  }
  for (const entry of entryFiles(manifest)) if (!paths.has(entry)) problems.push(`lacks its entry ${entry}`);
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${field}.${dep} is still "${range}"`);
      if (field === 'dependencies' && /^\d/.test(range))
        problems.push(`dependencies.${dep} is pinned to ${range}`);
    }
  }
  const both = Object.keys(manifest.dependencies ?? {}).filter((d) => manifest.peerDependencies?.[d]);
  for (const dep of both) problems.push(`lists ${dep} as both a dependency and a peer`);
  if (manifest.engines?.node !== ENGINES)
    problems.push(`engines.node is ${manifest.engines?.node}, not ${ENGINES}`);
  if (manifest.publishConfig?.access !== 'public') problems.push('publishConfig.access is not "public"');
  if (manifest.repository?.url !== REPOSITORY) problems.push(`repository.url is not ${REPOSITORY}`);
  if (manifest.repository?.directory !== `packages/${pkg.dir}`)
    problems.push('repository.directory is wrong');
  for (const field of ['homepage', 'bugs', 'license', 'description']) {
    if (!manifest[field]) problems.push(`lacks ${field}`);
  }
  // The registry page shows the README away from the repository: a relative link leads nowhere.
  for (const [, target] of readme.matchAll(/\]\(([^)\s]+)/g)) {
    if (!/^(https?:|mailto:|#)/.test(target)) problems.push(`README links to the relative "${target}"`);
  }
  return problems;
}

async function runPublint(tarball) {
  const { publint } = await import('publint');
  const { formatMessage } = await import('publint/utils');
  const bytes = readFileSync(tarball);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball: buffer }, level: 'suggestion', strict: true });
  return messages.map((m) => `publint ${m.type}: ${formatMessage(m, pkg, { color: false })}`);
}

function runAttw(tarball) {
  try {
    sh(join(root, 'node_modules/.bin/attw'), [tarball, '--format', 'ascii', '--no-color']);
    return [];
  } catch (error) {
    return [`attw: ${String(error.stdout || error.message).trim()}`];
  }
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

/** Checks packed tarballs; throws listing every problem found. */
export async function checkTarballs(packed, log = console.log) {
  const problems = [];
  for (const pkg of packed) {
    const files = tarList(pkg.tarball);
    const manifest = JSON.parse(tarFile(pkg.tarball, 'package.json'));
    const readme = tarFile(pkg.tarball, 'README.md');
    const found = [
      ...checkContents(pkg, files, manifest, readme),
      ...(await runPublint(pkg.tarball)),
      ...runAttw(pkg.tarball),
    ];
    const unpacked = files.reduce((sum, f) => sum + f.size, 0);
    log(
      `${pkg.name.padEnd(22)} ${kb(statSync(pkg.tarball).size).padStart(9)} packed, ${kb(unpacked).padStart(9)} unpacked, ${String(files.length).padStart(3)} files: ${found.length === 0 ? 'clean' : `${found.length} problem(s)`}`,
    );
    for (const problem of found) problems.push(`${pkg.name}: ${problem}`);
  }
  if (problems.length > 0) throw new Error(`package checks failed:\n${problems.join('\n')}`);
}

/** Clean build, pack and check. Returns the packed packages; throws listing every problem found. */
export async function packAndCheck(dest, log = console.log) {
  mkdirSync(dest, { recursive: true });
  const started = Date.now();
  cleanBuild();
  const packed = packAll(dest);
  await checkTarballs(packed, log);
  log(`built, packed and checked in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return packed;
}

function fromTarball(tarball) {
  const { name } = JSON.parse(tarFile(tarball, 'package.json'));
  return { dir: name.replace('@ai-failover/', ''), name, tarball };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [first, ...rest] = process.argv.slice(2);
  const run =
    first === '--check'
      ? checkTarballs(rest.map((t) => fromTarball(resolve(t))))
      : (async () => {
          const dest = first ? resolve(first) : mkdtempSync(join(tmpdir(), 'ai-failover-pack-'));
          await packAndCheck(dest);
          console.log(`tarballs in ${dest}`);
        })();
  run.catch((error) => {
    console.error(error.message);
    process.exitCode = 1;
  });
}
