#!/usr/bin/env bash
# `npm run bench -- <scenario>`: installs the pinned tools (bench/install.sh), builds Wharf,
# compiles the bench into the cache (nothing is written into the repo but bench/results/), runs it.
# WHARF_BENCH_SKIP_BUILD=1 skips `npm run build` (use the dist/ that is there).
set -euo pipefail
cd "$(dirname "$0")/.."
export WHARF_BENCH_ROOT="$PWD"
export WHARF_BENCH_CACHE="${WHARF_BENCH_CACHE:-$HOME/.cache/wharf-bench}"
bash bench/install.sh
if [ "${WHARF_BENCH_SKIP_BUILD:-0}" != 1 ]; then npm run build --silent; fi
rm -rf "$WHARF_BENCH_CACHE/build"
node_modules/.bin/tsc -p bench/tsconfig.json --outDir "$WHARF_BENCH_CACHE/build"
exec node "$WHARF_BENCH_CACHE/build/bench/run.js" "$@"
