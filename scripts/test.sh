#!/usr/bin/env bash
# The project's test command (`npm test`), tier by tier:
#   1. typecheck (strict),
#   2. unit: the pure core, and every embedded adapter against its port's contract suite,
#   3. int: the real engines (Kafka, MongoDB-wire, S3, OpenSearch), started from deploy/local
#      unless their endpoints are given in WHARF_* variables (see docs/backends.md),
#   4. e2e: the HTTP API, black-box, against WHARF_URL or a freshly built embedded Wharf.
# Stops at the first failing tier. Prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

summary() {
  node -e '
    const fs = require("fs");
    let passed = 0, failed = 0;
    for (const f of fs.readdirSync(process.argv[1])) {
      const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
      passed += r.numPassedTests; failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    }
    console.log(`${passed} passed, ${failed} failed`);
  ' "$results"
}

tier() {
  local name=$1; shift
  echo "== $name"
  if ! npx jest --selectProjects "$name" --ci --json --outputFile="$results/$name.json" "$@"; then
    summary
    exit 1
  fi
}

echo "== typecheck"
npx tsc -p tsconfig.json --noEmit

tier unit
tier int --runInBand
tier e2e

summary
