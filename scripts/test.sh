#!/usr/bin/env bash
# The project's test command (`npm test`), tier by tier:
#   0. boundaries (`npm run check:boundaries`: which folder may import which, docs/architecture.md),
#      format (Prettier) and lint (typescript-eslint, type-aware): fast lanes that fail in seconds,
#   1. typecheck (strict; the shipped code also with noUncheckedIndexedAccess),
#   2. unit: the pure core, and every embedded adapter against its port's contract suite,
#      then deploy: the Helm chart (helm lint, helm-unittest, kubeconform) and docker-compose.yml,
#      then container: the service image built (cached outside the checkout) and run on the local
#      container engine, podman from Debian or the machine's Docker (deploy/container), and the
#      distributed stack in containers (docker-compose.local.yml) with the e2e and client suites
#      run unchanged against its gateways (test/container/compose.container.spec.ts),
#   3. int: the real engines (Kafka, MongoDB-wire, S3, OpenSearch), started from deploy/local
#      unless their endpoints are given in WHARF_* variables (see docs/backends.md); then the
#      contract suites once more on the engines' images through testcontainers (containers mode),
#   4. distributed: the four services as processes of their own on those engines, killed with
#      SIGKILL and restarted under a stream of pushes, a Kafka broker of their own stopped and
#      restarted, search scaled out (test/distributed),
#   5. e2e: the HTTP API and real clients, black-box, against a freshly built embedded Wharf
#      (or WHARF_URL when it is set),
#   5b. browser: the web UI in Debian's Chromium (playwright-core, test/browser/install.sh installs
#      it when /usr/bin/chromium is missing), axe-core on every page, against an embedded Wharf
#      with accounts enforced; again in step 6 in front of the distributed stack,
#   6. e2e again, unchanged, against the distributed profile: two replicas of each of the four
#      services (WHARF_STACK_REPLICAS, default 2), started by deploy/local/stack.sh on the local
#      engines (skipped when WHARF_URL is set).
# Stops at the first failing tier. Prints one closing line: "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
# The project's Node.js (node_modules/.bin/node, package.json engines), also when run directly.
export PATH="$PWD/node_modules/.bin:$PATH"

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
  local name=$1 label=$2; shift 2
  echo "== $label"
  # --forceExit: a suite that leaves a handle open (a Kafka client of a failed test) must fail
  # the run, not hold it until CI's time runs out.
  if ! npx jest --selectProjects "$name" --ci --forceExit --json --outputFile="$results/$label.json" "$@"; then
    summary
    exit 1
  fi
}

echo "== boundaries"
node scripts/check-boundaries.mjs

echo "== format"
npx prettier --check --log-level warn .

echo "== lint"
npx eslint --max-warnings 0 .

echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
npx tsc -p tsconfig.build.json --noEmit --tsBuildInfoFile dist/.typecheck.tsbuildinfo

tier unit unit
tier deploy deploy
tier container container
tier int int --runInBand
# The ports' contract suites again, their engines the images made here (deploy/container/engines.sh,
# from deploy/local's artifacts) started through testcontainers: the path users with Docker take.
WHARF_BACKENDS_MODE=containers tier int int-containers --runInBand 'contract\.int\.spec\.ts$'
tier distributed distributed --runInBand
tier e2e e2e-embedded
tier browser browser-embedded

if [ -z "${WHARF_URL:-}" ]; then
  echo "== distributed stack"
  trap 'bash deploy/local/stack.sh down >/dev/null 2>&1 || true; rm -rf "$results"' EXIT
  # A namespace of its own in every engine, so runs on a reused machine never see each other's data.
  run_id="t$(date +%s)"
  export WHARF_MONGO_DATABASE="wharf_$run_id" WHARF_KAFKA_TOPIC_PREFIX="wharf-$run_id." \
    WHARF_OPENSEARCH_INDEX_PREFIX="wharf-$run_id-" WHARF_S3_BUCKET="wharf-$run_id"
  # Two of every service, as a hosted registry runs: the suites talk to the first gateway, which
  # spreads its calls over both instances of each service; both metadata writers share the commands.
  bash deploy/local/stack.sh up --replicas "${WHARF_STACK_REPLICAS:-2}"
  eval "$(bash deploy/local/stack.sh env)"
  # The e2e globalSetup starts a second gateway, enforcing authentication, on the same services
  # and engines (WHARF_ENFORCED_URL) for the access suites.
  eval "$(bash deploy/local/backends.sh env)"
  # test/embedded starts embedded processes of its own, test/deploy installs the chart into a
  # Kubernetes API server of its own, and four client suites import into or fuzz an embedded Wharf
  # of their own (about 8 min on a busy machine): they prove nothing more here.
  WHARF_URL="$WHARF_URL" tier e2e e2e-distributed --testPathIgnorePatterns '<rootDir>/test/embedded/' '<rootDir>/test/deploy/' \
    '<rootDir>/test/clients/(cnr-import|chartmuseum-import|chartmuseum-s3-import|schemathesis)\.e2e\.spec\.ts$'
  # The browser setup starts a gateway with accounts enforced in front of the stack's services.
  tier browser browser-distributed
fi

summary
