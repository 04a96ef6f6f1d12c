/**
 * The OCI distribution spec's conformance suite (the rewritten suite of
 * github.com/opencontainers/distribution-spec/conformance, install.sh component
 * `oci-conformance`), all four categories (pull, push, content discovery with referrers, content
 * management), run twice at once in repositories of a fresh namespace: anonymous against the
 * server under test (open mode), and with credentials (the site admin, through the token flow)
 * against its enforced gateway. Every API the released spec (v1.1) has is enabled, blob upload
 * cancellation too (off by default at v1.1). Every test passes, sha512 digests, range requests,
 * the large manifest and the mount that names no source repository included (docs/architecture.md,
 * "OCI distribution"); a test skipped or disabled for any reason fails the spec, as does any group
 * not passing. Each run's whole report
 * (results.yaml, junit.xml, report.html, and the console output in output.txt) is saved in the
 * directory the spec logs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { CACHE, CLIENTS_DIR, baseUrl, freshNamespace, run, tempDir } from './support/clients';

const CONFORMANCE = join(CACHE, 'bin', 'oci-conformance');
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The suite's top-level groups, every one Wharf must pass. */
const MUST_PASS = [
  'ping',
  'empty',
  'sha256 blobs',
  'sha512 blobs',
  'sha512',
  'large-manifest',
  'image',
  'image-uncompressed',
  'index',
  'nested-index',
  'empty-index',
  'artifact',
  'artifact-index',
  'artifact-without-layers',
  'artifacts-with-subject',
  'index-with-subject',
  'missing-subject',
  'data-field',
  'non-distributable-layers',
  'custom-fields',
  'no-layers',
  'bad-digest-image',
  'missing-manifest',
  'invalid-digest-format',
];

jest.setTimeout(480_000);

beforeAll(() => {
  execFileSync('bash', [join(CLIENTS_DIR, 'install.sh'), 'oci-conformance'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WHARF_CLIENTS_CACHE: CACHE },
    timeout: INSTALL_TIMEOUT_MS,
  });
}, INSTALL_TIMEOUT_MS);

/** Each `OCI Conformance Test/<name>: <status>` line of the suite's console report, in order (names repeat). */
function outcomes(output: string): [name: string, status: string][] {
  return [...output.matchAll(/^\s*OCI Conformance Test\/(.+): (\w+)$/gm)].map((match) => [match[1]!, match[2]!]);
}

/** The totals the report ends with (`Pass`, `Skip`, `Disabled`, `FAIL`, `Error`, `Total`). */
function totals(output: string): Record<string, number> {
  const section = output.slice(output.indexOf('OCI Conformance Result:'));
  return Object.fromEntries([...section.matchAll(/^ {2}(\w+)\.+: +(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Runs the suite against `url` (with `credentials`, or anonymous) and returns each test's status; the report stays in the logged directory. */
async function conformance(url: URL, label: string, credentials: { username: string; password: string } | null) {
  const ns = freshNamespace('oci-conf');
  const results = tempDir(`oci-conformance-${label}`);
  const report = await run(CONFORMANCE, [], {
    // Seconds embedded; a distributed stack on a loaded 2-core machine took minutes.
    timeoutMs: 420_000,
    env: {
      OCI_REGISTRY: url.host,
      OCI_TLS: url.protocol === 'https:' ? 'enabled' : 'disabled',
      OCI_REPO1: `${ns}/repo1`,
      OCI_REPO2: `${ns}/repo2`,
      OCI_RESULTS_DIR: results,
      OCI_VERSION: '1.1',
      // Off by default at v1.1 (a later spec's); Wharf cancels uploads (DELETE of the session).
      OCI_API_BLOBS_UPLOAD_CANCEL: 'true',
      OCI_LOG: 'error',
      ...(credentials ? { OCI_USERNAME: credentials.username, OCI_PASSWORD: credentials.password } : {}),
      // One login per scope rather than per request.
      OCI_CACHE_AUTH: 'true',
    },
  });
  writeFileSync(join(results, 'output.txt'), report.stdout + report.stderr);
  const counts = totals(report.stdout);
  console.log(`OCI conformance report (${label}): ${results} ${JSON.stringify(counts)}`);
  expect(existsSync(join(results, 'results.yaml'))).toBe(true);
  return { found: outcomes(report.stdout), counts };
}

/**
 * Every top-level group's status (a group the suite adds must pass too), every test that did not
 * pass, and the totals but for the passes (the number of tests grows with the suite).
 */
function verdict({ found, counts }: Awaited<ReturnType<typeof conformance>>) {
  const status = new Map(found);
  const top = found.map(([name]) => name).filter((name) => !name.includes('/'));
  const { Pass: passed = 0, Total: total = 0, ...others } = counts;
  return {
    groups: Object.fromEntries([...new Set([...MUST_PASS, ...top])].map((group) => [group, status.get(group)])),
    notPassed: found.filter(([, s]) => s !== 'Pass').map(([name, s]) => `${s}: ${name}`),
    counts: others,
    allCounted: passed > 0 && passed === total,
  };
}

describe('OCI conformance suite', () => {
  it('passes every test, anonymous (open mode) and with credentials (enforced mode), reports saved', async () => {
    const [anonymous, authenticated] = await Promise.all([
      conformance(new URL(baseUrl()), 'anonymous', null),
      conformance(new URL(enforcedUrl()), 'credentials', E2E_ADMIN),
    ]);
    const expected = {
      groups: Object.fromEntries(MUST_PASS.map((group) => [group, 'Pass'])),
      notPassed: [],
      counts: { Disabled: 0, Skip: 0, FAIL: 0, Error: 0 },
      allCounted: true,
    };
    expect(verdict(anonymous)).toEqual(expected);
    expect(verdict(authenticated)).toEqual(expected);
  });
});
