/**
 * The OCI distribution spec's conformance suite (the rewritten suite of
 * github.com/opencontainers/distribution-spec/conformance, install.sh component
 * `oci-conformance`), all four categories (pull, push, content discovery with referrers, content
 * management), run twice at once in repositories of a fresh namespace: anonymous against the
 * server under test (open mode), and with credentials (the site admin, through the token flow)
 * against its enforced gateway. Every group passes, sha512 digests and the large manifest included
 * (docs/architecture.md, "OCI distribution"). Each run's whole report
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

jest.setTimeout(180_000);

beforeAll(() => {
  execFileSync('bash', [join(CLIENTS_DIR, 'install.sh'), 'oci-conformance'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, WHARF_CLIENTS_CACHE: CACHE },
    timeout: INSTALL_TIMEOUT_MS,
  });
}, INSTALL_TIMEOUT_MS);

/** `OCI Conformance Test/<name>: <status>` lines of the suite's console report. */
function statuses(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of output.matchAll(/^\s*OCI Conformance Test\/(.+): (\w+)$/gm)) found.set(match[1]!, match[2]!);
  return found;
}

/** Runs the suite against `url` (with `credentials`, or anonymous) and returns each test's status; the report stays in the logged directory. */
async function conformance(url: URL, label: string, credentials: { username: string; password: string } | null) {
  const ns = freshNamespace('oci-conf');
  const results = tempDir(`oci-conformance-${label}`);
  const report = await run(CONFORMANCE, [], {
    timeoutMs: 150_000,
    env: {
      OCI_REGISTRY: url.host,
      OCI_TLS: url.protocol === 'https:' ? 'enabled' : 'disabled',
      OCI_REPO1: `${ns}/repo1`,
      OCI_REPO2: `${ns}/repo2`,
      OCI_RESULTS_DIR: results,
      OCI_VERSION: '1.1',
      OCI_LOG: 'error',
      ...(credentials ? { OCI_USERNAME: credentials.username, OCI_PASSWORD: credentials.password } : {}),
      // One login per scope rather than per request.
      OCI_CACHE_AUTH: 'true',
    },
  });
  writeFileSync(join(results, 'output.txt'), report.stdout + report.stderr);
  console.log(`OCI conformance report (${label}): ${results}`);
  expect(existsSync(join(results, 'results.yaml'))).toBe(true);
  return statuses(report.stdout);
}

/** The status of every top-level group (a group the suite adds must pass too). */
function groups(found: Map<string, string>): Record<string, string | undefined> {
  const top = [...found.keys()].filter((name) => !name.includes('/'));
  return Object.fromEntries([...new Set([...MUST_PASS, ...top])].map((group) => [group, found.get(group)]));
}

describe('OCI conformance suite', () => {
  it('passes every group, anonymous (open mode) and with credentials (enforced mode), reports saved', async () => {
    const [anonymous, authenticated] = await Promise.all([
      conformance(new URL(baseUrl()), 'anonymous', null),
      conformance(new URL(enforcedUrl()), 'credentials', E2E_ADMIN),
    ]);
    const allPass = Object.fromEntries(MUST_PASS.map((group) => [group, 'Pass']));
    expect(groups(anonymous)).toEqual(allPass);
    expect(groups(authenticated)).toEqual(allPass);
  });
});
