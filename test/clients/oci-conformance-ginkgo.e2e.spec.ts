/**
 * The older OCI conformance suite: the Ginkgo test binary of
 * github.com/opencontainers/distribution-spec/conformance (install.sh component
 * `oci-conformance-ginkgo`, the suite of distribution-spec v1.1.0), all four categories (pull,
 * push, content discovery with referrers, content management), run twice at once in repositories
 * of a fresh namespace: anonymous against the server under test (open mode), and with credentials
 * (the site admin, through the token flow) against its enforced gateway. Every test passes; the
 * only ones not run are the four the suite itself skips on the path it takes (`SKIPPED`). Each
 * run's report (junit.xml, report.html, and the console output in output.txt) is saved in the
 * directory the spec logs. The rewritten suite: oci-conformance.e2e.spec.ts.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { CACHE, INSTALL_TIMEOUT_MS, baseUrl, ensureInstalled, freshNamespace, run, tempDir } from './support/clients';

const SUITE = join(CACHE, 'bin', 'oci-conformance-ginkgo');
const PREFIX = 'OCI Distribution Conformance Tests ';

/**
 * The tests the suite skips by its own branches, whatever the registry: each is one of two
 * alternatives, and the other one runs.
 */
const SKIPPED = [
  // The suite pushes what it pulls; the alternative reads content named by OCI_TAG_NAME,
  // OCI_MANIFEST_DIGEST and OCI_BLOB_DIGEST that a registry was seeded with beforehand.
  'Pull Setup Get tag name from environment',
  // Likewise tags pushed by the suite rather than named by OCI_TAG_LIST.
  'Content Discovery Setup Populate registry with test tags (no push)',
  // Runs only when the mount was refused (202, an upload session); Wharf mounts (201), so the
  // test that reads the mounted blob in the second repository runs instead.
  'Push Cross-Repository Blob Mount Cross-mounting of nonexistent blob should yield session id',
  // OCI_AUTOMATIC_CROSSMOUNT=1: Wharf mounts a blob without `from` from a repository the caller
  // may read that holds it, which its twin, "... automatic content discovery enabled should
  // return a 201", checks.
  'Push Cross-Repository Blob Mount Cross-mounting without from, and automatic content discovery disabled should return a 202',
];

jest.setTimeout(180_000);

beforeAll(() => ensureInstalled('oci-conformance-ginkgo'), INSTALL_TIMEOUT_MS);

/**
 * Each test case of a junit.xml, in order: its name (without Ginkgo's `[It] ` and the suite's
 * prefix; names repeat in this suite) and its status (`passed`, `failed`, `skipped`, ...).
 */
function outcomes(junit: string): [name: string, status: string][] {
  return [...junit.matchAll(/<testcase name="([^"]*)"[^>]*? status="(\w+)"/g)].map((match) => [
    match[1]!
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/^\[It\] /, '')
      .replace(PREFIX, ''),
    match[2]!,
  ]);
}

/** Runs the suite against `url` (with `credentials`, or anonymous); the report stays in the logged directory. */
async function conformance(url: URL, label: string, credentials: { username: string; password: string } | null) {
  const ns = freshNamespace('oci-ginkgo');
  const results = tempDir(`oci-conformance-ginkgo-${label}`);
  const report = await run(SUITE, ['-test.v'], {
    cwd: results,
    timeoutMs: 150_000,
    env: {
      OCI_ROOT_URL: url.origin,
      OCI_NAMESPACE: `${ns}/repo1`,
      OCI_CROSSMOUNT_NAMESPACE: `${ns}/repo2`,
      OCI_TEST_PULL: '1',
      OCI_TEST_PUSH: '1',
      OCI_TEST_CONTENT_DISCOVERY: '1',
      OCI_TEST_CONTENT_MANAGEMENT: '1',
      OCI_HIDE_SKIPPED_WORKFLOWS: '0',
      OCI_AUTOMATIC_CROSSMOUNT: '1',
      OCI_REPORT_DIR: results,
      ...(credentials ? { OCI_USERNAME: credentials.username, OCI_PASSWORD: credentials.password } : {}),
    },
  });
  writeFileSync(join(results, 'output.txt'), report.stdout + report.stderr);
  console.log(`OCI conformance (Ginkgo) report (${label}): ${results}`);
  expect(existsSync(join(results, 'report.html'))).toBe(true);
  return outcomes(readFileSync(join(results, 'junit.xml'), 'utf8'));
}

/** The tests that did not pass, but for the suite's own skips, by name; and how the skips went. */
function verdict(found: [name: string, status: string][]) {
  const expected = (name: string): string => (SKIPPED.includes(name) ? 'skipped' : 'passed');
  return {
    passed: found.filter(([, status]) => status === 'passed').length > 0,
    unexpected: found
      .filter(([name, status]) => status !== expected(name))
      .map(([name, status]) => `${status}: ${name}`),
    skips: SKIPPED.map((name) => found.find(([test]) => test === name)?.[1]),
  };
}

describe('OCI conformance suite (Ginkgo)', () => {
  it('passes every test, anonymous (open mode) and with credentials (enforced mode), reports saved', async () => {
    const [anonymous, authenticated] = await Promise.all([
      conformance(new URL(baseUrl()), 'anonymous', null),
      conformance(new URL(enforcedUrl()), 'credentials', E2E_ADMIN),
    ]);
    const allPass = { passed: true, unexpected: [], skips: SKIPPED.map(() => 'skipped') };
    expect(verdict(anonymous)).toEqual(allPass);
    expect(verdict(authenticated)).toEqual(allPass);
  });
});
