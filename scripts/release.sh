#!/usr/bin/env bash
# Publishes every package under packages/ to npm. pnpm publishes them: it rewrites the
# `workspace:` ranges between them to the versions being published, which `npm publish` would
# leave as they are (and the packages would not install). Extra arguments go to `pnpm publish`
# (`--dry-run`, `--tag next`, `--otp 123456`...).
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM="npx -y pnpm@10.34.9"

$PNPM install --frozen-lockfile
$PNPM lint
$PNPM typecheck
$PNPM test
# Clean build, pack, publint + attw, and the smoke apps: what gets published is that clean build.
node smoke/run.mjs
$PNPM --filter './packages/*' publish --access public "$@"
