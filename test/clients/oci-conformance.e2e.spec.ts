/**
 * The OCI distribution spec's conformance suite (the rewritten suite of
 * github.com/opencontainers/distribution-spec/conformance, install.sh component
 * `oci-conformance`), run against the server under test (open mode, anonymous) in repositories of
 * a fresh namespace. Wharf stores Helm charts over OCI so far (docs/architecture.md, "OCI
 * distribution"): the suite's image, index and artifact data sets are refused MANIFEST_INVALID,
 * sha512 is not taken, and referrers are not served, so those groups fail. This spec saves the
 * whole report (results.yaml, junit.xml, report.html, and the console output in output.txt, in
 * the directory it logs) and holds every group Wharf passes to passing, so none regresses.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CACHE, CLIENTS_DIR, baseUrl, freshNamespace, run, tempDir } from './support/clients';

const CONFORMANCE = join(CACHE, 'bin', 'oci-conformance');
const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** The suite's top-level groups (and one test of a failing group) that Wharf passes. */
const MUST_PASS = [
  'ping',
  'sha256 blobs',
  'empty/tag list',
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

describe('OCI conformance suite', () => {
  it('passes the groups Wharf serves (blobs, ping, tag listing, bad digests, missing manifests), report saved', async () => {
    const url = new URL(baseUrl());
    const ns = freshNamespace('oci-conf');
    const results = tempDir('oci-conformance');
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
      },
    });
    writeFileSync(join(results, 'output.txt'), report.stdout + report.stderr);
    console.log(`OCI conformance report: ${results}`);
    expect(existsSync(join(results, 'results.yaml'))).toBe(true);
    const found = statuses(report.stdout);
    expect(Object.fromEntries(MUST_PASS.map((group) => [group, found.get(group)]))).toEqual(
      Object.fromEntries(MUST_PASS.map((group) => [group, 'Pass'])),
    );
  });
});
