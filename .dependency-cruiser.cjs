// The boundaries of docs/architecture.md ("Boundaries") and CONTRIBUTING.md ("Where code goes"),
// as a check: `npm run check:boundaries`, the first lane of `npm test`. A rule changes here and
// in those two documents together.
//
// Imports that broke a rule when the check was introduced are listed, one by one, in
// .dependency-cruiser-known-violations.json: they are counted as known and do not fail the
// check; every new one does, and so does an entry whose import is gone (remove it: the list only
// shrinks). Never add one.
//
// Tests (`*.spec.ts`) may take test data and contract suites from libs/testing wherever they
// live, so the layering rules look at production code only; "no library imports a service"
// holds for tests too (a library's test that needs a service belongs to that service).
//
// "No cycles between folders" is .dependency-cruiser-folders.cjs: a second pass over production
// code only (dependency-cruiser's folder-scope rules cannot leave out test files or libs/testing,
// which imports what it tests). scripts/check-boundaries.mjs runs both.

const SPEC = '\\.spec\\.ts$';
// Files the build leaves out with the specs (tsconfig.build.json).
const TEST_SUPPORT = '\\.(fixture|test-support)\\.ts$';
// An npm package, wherever node_modules resolves to (a symlinked one resolves to its real path).
const npm = (names) => `(^|/)node_modules/(${names})/`;
/** A rule: the production code under libs/<folder> imports, of ours, only libs/<allowed>. */
const importsOnly = (name, comment, folder, allowed) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^libs/${folder}/`, pathNot: SPEC },
  to: { path: '^(libs|services|test|bench)/', pathNot: `^libs/(${allowed})/` },
});

/** A rule: the npm package(s) `names` are imported by the production and test code of libs/<folder> only. */
const packageOnlyIn = (name, comment, names, folder) => ({
  name,
  comment,
  severity: 'error',
  from: { path: '^(libs|services)/', pathNot: `^libs/${folder}/` },
  to: { path: npm(names) },
});

module.exports = {
  forbidden: [
    importsOnly(
      'domain-imports-only-itself',
      'libs/domain is the pure core: it imports nothing of ours but itself (docs/architecture.md, Boundaries).',
      'domain',
      'domain',
    ),
    {
      name: 'domain-no-io',
      comment:
        "libs/domain does no I/O: of node's modules it uses only node:crypto (the sha256 digest rule) " +
        'and node:zlib (gunzip of a chart archive held in memory), both pure computations on buffers.',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: SPEC },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?(crypto|zlib)$' },
    },
    importsOnly(
      'collections-import-nothing-of-ours',
      'libs/collections holds plain data structures: it imports no lib or service of ours.',
      'collections',
      'collections',
    ),
    {
      name: 'collections-no-io',
      comment: 'libs/collections holds plain data structures: no node module.',
      severity: 'error',
      from: { path: '^libs/collections/', pathNot: SPEC },
      to: { dependencyTypes: ['core'] },
    },
    importsOnly(
      'contracts-import-only-domain',
      'libs/contracts (wire contracts) import only the domain, and no other lib of ours.',
      'contracts',
      'domain|contracts',
    ),
    importsOnly(
      'ports-import-only-domain-and-contracts',
      'libs/ports import only the domain, and the wire contracts whose types the event log port ' +
        'carries (EventEnvelope, StoredEvent); contracts never import ports.',
      'ports',
      'domain|contracts|ports',
    ),
    {
      name: 'contracts-and-ports-no-io',
      comment: 'libs/contracts and libs/ports do no I/O; a port may name node:stream types (BlobStore streams bytes).',
      severity: 'error',
      from: { path: '^libs/(contracts|ports)/', pathNot: SPEC },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?stream$' },
    },
    {
      name: 'domain-packages',
      comment:
        'Of npm packages libs/domain uses only yaml, a pure parser (Chart.yaml of an archive in memory): ' +
        'no NestJS, no HTTP server, no driver.',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: SPEC },
      to: { path: npm('.+?'), pathNot: npm('yaml') },
    },
    {
      name: 'contracts-packages',
      comment:
        'Of npm packages libs/contracts uses only zod (the event schemas): no NestJS, no HTTP server, no driver.',
      severity: 'error',
      from: { path: '^libs/contracts/', pathNot: SPEC },
      to: { path: npm('.+?'), pathNot: npm('zod') },
    },
    {
      name: 'ports-packages',
      comment: 'libs/ports are interfaces and tokens: no npm package (no NestJS, no driver).',
      severity: 'error',
      from: { path: '^libs/ports/', pathNot: SPEC },
      to: { path: npm('.+?') },
    },
    importsOnly(
      'metrics-imports-only-ports',
      'libs/metrics implements the metrics ports with prom-client: of ours it imports only the ports ' +
        '(and the domain and contracts they name) and libs/tracing (a store call is a span too), so ' +
        'every service and library may use it.',
      'metrics',
      'domain|contracts|ports|metrics|tracing',
    ),
    importsOnly(
      'tracing-imports-nothing-of-ours',
      'libs/tracing wraps OpenTelemetry for every process: it imports no lib of ours, so any may use it.',
      'tracing',
      'tracing',
    ),
    packageOnlyIn(
      'opentelemetry-only-in-tracing',
      '@opentelemetry/* is imported by libs/tracing only: the SDK, its exporter and its propagator are ' +
        'chosen in one place, and the code that traces calls inSpan, inSpanFrom and injectTraceContext.',
      '@opentelemetry/[^/]+',
      'tracing',
    ),
    packageOnlyIn(
      'prom-client-only-in-metrics',
      'prom-client is imported by libs/metrics only: every metric is defined there, in one place; the code ' +
        'that counts (use cases, auth, adapters, the collector) sees only the metrics ports (libs/ports/src/metrics.port.ts).',
      'prom-client',
      'metrics',
    ),
    {
      name: 'adapters-not-services',
      comment: 'An adapter implements a port; it never imports a service (services/**).',
      severity: 'error',
      from: { path: '^libs/adapters/' },
      to: { path: '^services/' },
    },
    {
      name: 'libs-not-services',
      comment: 'No library (libs/**), nor its tests, imports a service (services/**): the arrows point down.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^services/' },
    },
    {
      name: 'gateway-use-cases-not-http',
      comment:
        'Gateway use cases take typed commands; parsing HTTP belongs in services/gateway/src/http, ' +
        'which calls the use cases, never the other way round.',
      severity: 'error',
      from: { path: '^services/gateway/src/(use-cases/|auth/[^/]*use-cases?\\.ts$)', pathNot: SPEC },
      to: { path: '^services/gateway/src/http/' },
    },
    {
      name: 'production-not-testing',
      comment:
        'libs/testing (contract suites, test data) is for tests: production code never imports it, ' +
        'and the build (tsconfig.build.json) leaves it out.',
      severity: 'error',
      from: { path: '^(libs|services)/', pathNot: [SPEC, '^libs/testing/', TEST_SUPPORT] },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'wharf-aliases-resolve',
      comment:
        'Every @wharf/... alias must resolve through tsconfig.json "paths"; an unresolved one would ' +
        'slip past every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@wharf/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // The @wharf/... aliases resolve through tsconfig.json "paths", as tsc, jest and dist/ do.
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are dependencies too: a port that names a service's type depends on it.
    tsPreCompilationDeps: true,
  },
};
