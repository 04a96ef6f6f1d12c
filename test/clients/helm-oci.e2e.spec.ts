/**
 * The real Helm CLI (v3 and v4, install.sh components `helm` and `helm4`) over OCI (`oci://HOST/NS`) against Wharf's
 * /v2/ routes, across protocols: a chart pushed with `helm push` is the appr release, the
 * index.yaml entry and the ChartMuseum download, byte for byte; a chart pushed through appr is
 * pulled and shown by `helm pull/show oci://`; `helm registry login` goes through the token flow
 * of the enforced registry, and a private chart is refused without it. Bytes and digests are
 * compared, not only exit codes. HTTP-level checks of the same routes: test/e2e/oci.e2e.spec.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { baseUrl, freshNamespace, sha256, tempDir } from './support/clients';
import { HELM, HELM4, HELM_INSTALL_TIMEOUT_MS, HelmHome, installHelm, installHelm4 } from './support/helm-home';

jest.setTimeout(180_000);

const hostOf = (url: string) => new URL(url).host;

async function bytesAt(url: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe.each([
  { major: 'v3', binary: HELM, install: installHelm },
  { major: 'v4', binary: HELM4, install: installHelm4 },
])('helm $major over oci:// against Wharf', ({ major, binary, install }) => {
  beforeAll(install, HELM_INSTALL_TIMEOUT_MS);
  const home = () => new HelmHome('helm-oci', {}, binary);

  it(`is helm ${major}`, async () => {
    expect((await home().ok(['version', '--template', '{{.Version}}'])).stdout).toMatch(new RegExp(`^${major}\\.`));
  });

  it('helm push oci:// makes the appr release, the index.yaml entry and the ChartMuseum file, byte for byte', async () => {
    const ns = freshNamespace('ocih');
    const helm = home();
    const tgz = readFileSync(await helm.packageChart('web', '1.3.0+meta.2'));
    const pushed = await helm.ok([
      'push',
      join(helm.dir, 'packages', 'web-1.3.0+meta.2.tgz'),
      `oci://${hostOf(baseUrl())}/${ns}`,
      '--plain-http',
    ]);
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout + pushed.stderr)?.[1];
    expect(digest).toBeDefined();

    const appr = await bytesAt(`${baseUrl()}/cnr/api/v1/packages/${ns}/web/1.3.0+meta.2/helm/pull`);
    expect(appr.status).toBe(200);
    expect(appr.bytes.equals(tgz)).toBe(true);
    const index = parse((await bytesAt(`${baseUrl()}/helm/${ns}/index.yaml`)).bytes.toString()) as {
      entries: Record<string, { version: string; digest: string; urls: string[] }[]>;
    };
    const entry = index.entries.web?.find((v) => v.version === '1.3.0+meta.2');
    expect(entry?.digest).toBe(sha256(tgz));
    const museum = await bytesAt(`${baseUrl()}/helm/${ns}/${entry!.urls[0]}`);
    expect(museum.bytes.equals(tgz)).toBe(true);

    // The manifest Helm pushed is the one served, under the digest Helm printed.
    const manifest = await bytesAt(`${baseUrl()}/v2/${ns}/web/manifests/1.3.0_meta.2`);
    expect(`sha256:${sha256(manifest.bytes)}`).toBe(digest);
    expect((await home().pullOci(`oci://${hostOf(baseUrl())}/${ns}/web`, '1.3.0+meta.2')).equals(tgz)).toBe(true);
  });

  it('a chart pushed through appr is pulled, shown and templated by helm over oci://, with the same manifest each time', async () => {
    const ns = freshNamespace('ocih');
    const helm = home();
    const tgz = readFileSync(await helm.packageChart('api', '2.1.0'));
    const res = await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/api`, {
      method: 'POST',
      body: JSON.stringify({ release: '2.1.0', media_type: 'helm', blob: tgz.toString('base64') }),
    });
    expect(res.status).toBe(200);
    const url = `oci://${hostOf(baseUrl())}/${ns}/api`;
    expect((await helm.pullOci(url, '2.1.0')).equals(tgz)).toBe(true);
    const shown = await helm.ok(['show', 'chart', url, '--version', '2.1.0', '--plain-http']);
    expect(parse(shown.stdout)).toMatchObject({
      apiVersion: 'v2',
      name: 'api',
      version: '2.1.0',
      description: 'The api chart',
    });
    const rendered = await helm.ok(['template', 'demo', url, '--version', '2.1.0', '--plain-http']);
    expect(rendered.stdout).toContain('kind: ConfigMap');
    expect(rendered.stdout).toContain('v: "2.1.0"');
    const first = await helm.ok(['pull', url, '--version', '2.1.0', '--plain-http', '-d', tempDir('p')]);
    const again = await helm.ok(['pull', url, '--version', '2.1.0', '--plain-http', '-d', tempDir('p')]);
    const digestOf = (out: string) => /Digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
    expect(digestOf(first.stdout + first.stderr)).toBeDefined();
    expect(digestOf(again.stdout + again.stderr)).toBe(digestOf(first.stdout + first.stderr));
  });

  it('helm registry login (token flow) pushes and pulls a private chart of the enforced registry, refused without login', async () => {
    const user = freshNamespace('ocu');
    const password = 'oci-helm-password-1';
    const signUp = await fetch(`${enforcedUrl()}/cnr/api/v1/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: { username: user, password, email: `${user}@example.test` } }),
    });
    expect(signUp.status).toBe(201);
    const host = hostOf(enforcedUrl());
    const helm = home();
    const tgzPath = await helm.packageChart('secret', '0.1.0');
    const tgz = readFileSync(tgzPath);

    const refusedPush = await helm.run(['push', tgzPath, `oci://${host}/${user}`, '--plain-http']);
    expect(refusedPush.code).not.toBe(0);
    expect(refusedPush.stderr).toMatch(/401|unauthorized/i);
    const wrong = await helm.run([
      'registry',
      'login',
      host,
      '--username',
      user,
      '--password',
      'not-it',
      '--plain-http',
    ]);
    expect(wrong.code).not.toBe(0);
    await helm.ok(['registry', 'login', host, '--username', user, '--password', password, '--plain-http']);
    await helm.ok(['push', tgzPath, `oci://${host}/${user}`, '--plain-http']);

    const basic = `Basic ${Buffer.from(`${E2E_ADMIN.username}:${E2E_ADMIN.password}`).toString('base64')}`;
    const hidden = await fetch(`${enforcedUrl()}/cnr/api/v1/packages/${user}/secret/visibility`, {
      method: 'PUT',
      headers: { authorization: basic, 'content-type': 'application/json' },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(hidden.status).toBe(200);

    const url = `oci://${host}/${user}/secret`;
    expect((await helm.pullOci(url, '0.1.0')).equals(tgz)).toBe(true);
    const stranger = await home().run(['pull', url, '--version', '0.1.0', '--plain-http', '-d', tempDir('p')]);
    expect(stranger.code).not.toBe(0);
    expect(stranger.stderr).toMatch(/401|unauthorized/i);
    await helm.ok(['registry', 'logout', host]);
    expect((await helm.run(['pull', url, '--version', '0.1.0', '--plain-http', '-d', tempDir('p')])).code).not.toBe(0);
  });
});
