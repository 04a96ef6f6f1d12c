/**
 * go-appr (github.com/operator-framework/go-appr, the generated Go client operator-marketplace
 * uses) against Wharf: go-appr/main.go lists a namespace, shows a release's helm manifest and
 * downloads the blob named by its content.digest, as operator-marketplace's appregistry adapter
 * does. The downloaded bytes must be the .tgz that was pushed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CACHE,
  CLIENTS_DIR,
  INSTALL_TIMEOUT_MS,
  baseUrl,
  contentDigest,
  ensureInstalled,
  freshNamespace,
  runOk,
  sha256,
  tempDir,
} from './support/clients';

const BIN = join(CACHE, 'bin', 'wharf-go-appr');

function makeTgz(dir: string, version: string): Buffer {
  mkdirSync(join(dir, 'demo', 'templates'), { recursive: true });
  writeFileSync(join(dir, 'demo', 'Chart.yaml'), `apiVersion: v1\nname: demo\nversion: ${version}\n`);
  writeFileSync(join(dir, 'demo', 'templates', 'cm.yaml'), `kind: ConfigMap\ndata:\n  v: "${version}"\n`);
  const out = join(dir, `demo-${version}.tgz`);
  execFileSync('tar', ['czf', out, '-C', dir, 'demo']);
  return readFileSync(out);
}

async function push(ns: string, release: string, tgz: Buffer): Promise<void> {
  const res = await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/demo`, {
    method: 'POST',
    body: JSON.stringify({ release, media_type: 'helm', blob: tgz.toString('base64') }),
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  ensureInstalled('go-appr');
  // Built again from the test so a change to main.go is what runs (a no-op when unchanged).
  await runOk('go', ['build', '-o', BIN, '.'], {
    cwd: join(CLIENTS_DIR, 'go-appr'),
    env: { GOMODCACHE: join(CACHE, 'gomod'), GOFLAGS: '-modcacherw -mod=readonly', GOTOOLCHAIN: 'local' },
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
}, INSTALL_TIMEOUT_MS);

it('lists, shows and downloads the blob by content.digest, byte for byte', async () => {
  const ns = freshNamespace('goappr');
  const dir = tempDir('go-appr');
  const tgz1 = makeTgz(join(dir, 'a'), '1.0.0');
  const tgz2 = makeTgz(join(dir, 'b'), '2.0.0-rc.1');
  await push(ns, '1.0.0', tgz1);
  await push(ns, '2.0.0-rc.1', tgz2);

  for (const [release, tgz] of [
    ['1.0.0', tgz1],
    ['2.0.0-rc.1', tgz2],
  ] as const) {
    const out = join(dir, `out-${release}.tgz`);
    const r = await runOk(BIN, [`${baseUrl()}/cnr`, ns, 'demo', release, out]);
    const result = JSON.parse(r.stdout) as {
      list: Array<{ name: string; default: string; releases: string[]; manifests: string[] }>;
      show: { package: string; release: string; content: { digest: string; size: number } };
      blob_sha256: string;
      blob_size: number;
    };
    expect(result.list).toEqual([
      expect.objectContaining({
        name: `${ns}/demo`,
        default: '2.0.0-rc.1',
        releases: ['2.0.0-rc.1', '1.0.0'],
        manifests: ['helm'],
      }),
    ]);
    expect(result.show).toEqual(expect.objectContaining({ package: `${ns}/demo`, release }));
    expect(result.show.content.digest).toBe(contentDigest(tgz));
    expect(result.show.content.size).toBe(tgz.length);
    expect(result.blob_sha256).toBe(sha256(tgz));
    expect(sha256(readFileSync(out))).toBe(sha256(tgz));
  }
});
