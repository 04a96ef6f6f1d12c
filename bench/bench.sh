#!/usr/bin/env bash
# `npm run bench -- <scenario>`: installs the pinned tools (bench/install.sh), builds Wharf,
# compiles the bench into the cache (nothing is written into the repo but bench/results/), runs it.
# WHARF_BENCH_SKIP_BUILD=1 skips `npm run build` (use the dist/ that is there).
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node.js (node_modules/.bin/node, package.json engines), also when run directly.
export PATH="$PWD/node_modules/.bin:$PATH"
export WHARF_BENCH_ROOT="$PWD"
export WHARF_BENCH_CACHE="${WHARF_BENCH_CACHE:-$HOME/.cache/wharf-bench}"
bash bench/install.sh
if [ "${WHARF_BENCH_SKIP_BUILD:-0}" != 1 ]; then npm run build --silent; fi
# One compiled bench per checkout, so two checkouts (git worktrees) can run side by side.
build="$WHARF_BENCH_CACHE/build-$(printf '%s' "$PWD" | sha256sum | cut -c1-12)"
rm -rf "$build"
node_modules/.bin/tsc -p bench/tsconfig.json --outDir "$build"
exec node "$build/bench/run.js" "$@"
