/**
 * The real Helm CLI (helm v3, built from the Go module proxy) and the ChartMuseum push plugin
 * (helm-push's `cm-push`, built the same way) against Wharf's Helm repositories: each namespace
 * is a chart repository at /helm/<ns>, and the ChartMuseum API at /helm/api/<ns>/charts (and
 * /api/<ns>/charts). The charts are the App Registry's helm releases: what one protocol pushes
 * the other lists, pulls and deletes. Pins and build: install.sh (component `helm`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { enforcedUrl } from '../support/target';
import { baseUrl, contentDigest, freshNamespace, run, runOk, sha256, tempDir } from './support/clients';
import { HELM, HELM_INSTALL_TIMEOUT_MS, HelmHome, installHelm, signingKey } from './support/helm-home';

interface IndexVersion {
  name: string;
  version: string;
  urls: string[];
  digest: string;
  created: string;
  appVersion?: string;
}
interface IndexFile {
  apiVersion: string;
  entries: Record<string, IndexVersion[]>;
  generated: string;
  serverInfo: { contextPath: string };
}

const repoUrl = (ns: string) => `${baseUrl()}/helm/${ns}`;

async function apprPush(ns: string, name: string, release: string, tgz: Buffer): Promise<void> {
  const res = await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/${name}`, {
    method: 'POST',
    body: JSON.stringify({ release, media_type: 'helm', blob: tgz.toString('base64') }),
  });
  expect({ status: res.status, body: await res.text() }).toEqual({ status: 200, body: '{"status":"ok"}' });
}

async function index(ns: string, query = ''): Promise<IndexFile> {
  const res = await fetch(`${repoUrl(ns)}/index.yaml${query}`);
  expect(res.status).toBe(200);
  return parse(await res.text()) as IndexFile;
}

/** The regular files of a .tgz by name. */
function tgzFiles(tgz: Buffer): Record<string, string> {
  const dir = tempDir('tgz');
  writeFileSync(join(dir, 'c.tgz'), tgz);
  const names = execFileSync('tar', ['tzf', join(dir, 'c.tgz')])
    .toString()
    .split('\n')
    .filter((n) => n && !n.endsWith('/'));
  return Object.fromEntries(names.map((n) => [n, execFileSync('tar', ['xzOf', join(dir, 'c.tgz'), n]).toString()]));
}

const versionsIn = (file: IndexFile, chart: string) => (file.entries[chart] ?? []).map((v) => v.version);

async function bytes(path: string): Promise<{ status: number; bytes: Buffer; headers: Headers }> {
  const res = await fetch(`${baseUrl()}${path}`);
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
}

beforeAll(installHelm, HELM_INSTALL_TIMEOUT_MS);

describe('helm against a Wharf chart repository', () => {
  it('adds, updates, searches and pulls a chart pushed with appr push; the bytes match the index digest and appr pull', async () => {
    const ns = freshNamespace('helm');
    const helm = new HelmHome();
    const tgzPath = await helm.packageChart('web', '1.2.0', { appVersion: '3.4' });
    const tgz = readFileSync(tgzPath);
    await apprPush(ns, 'web', '1.2.0', tgz);
    await apprPush(ns, 'web', '1.10.0-rc.1', readFileSync(await helm.packageChart('web', '1.10.0-rc.1')));

    await helm.repoAdd('wharf', repoUrl(ns));
    await helm.ok(['repo', 'update', 'wharf']);
    const search = await helm.ok(['search', 'repo', 'wharf/', '--versions', '--devel', '-o', 'json']);
    expect(JSON.parse(search.stdout)).toEqual([
      expect.objectContaining({ name: 'wharf/web', version: '1.10.0-rc.1' }),
      expect.objectContaining({
        name: 'wharf/web',
        version: '1.2.0',
        app_version: '3.4',
        description: 'The web chart',
      }),
    ]);

    const out = join(helm.dir, 'pulled');
    mkdirSync(out);
    await helm.ok(['pull', 'wharf/web', '--version', '1.2.0', '-d', out]);
    const pulled = readFileSync(join(out, 'web-1.2.0.tgz'));
    const entry = (await index(ns)).entries.web.find((v) => v.version === '1.2.0')!;
    expect(entry.urls).toEqual(['charts/web-1.2.0.tgz']);
    expect(sha256(pulled)).toBe(entry.digest);
    expect(pulled.equals(tgz)).toBe(true);
    const apprPulled = await bytes(`/cnr/api/v1/packages/${ns}/web/1.2.0/helm/pull`);
    expect(apprPulled.bytes.equals(pulled)).toBe(true);
    // appr's digest is of the uncompressed tar; Helm's is of the .tgz. Both are kept.
    const shown = (await (await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/web/1.2.0/helm`)).json()) as {
      content: { digest: string };
    };
    expect(shown.content.digest).toBe(contentDigest(tgz));
    expect(shown.content.digest).not.toBe(entry.digest);
  });

  it('cm-push makes the chart the same release that appr lists, shows, pulls and channels', async () => {
    const ns = freshNamespace('cmpush');
    const helm = new HelmHome();
    await helm.repoAdd('wharf', repoUrl(ns));
    const tgzPath = await helm.packageChart('api', '0.3.0');

    const pushed = await helm.ok(['cm-push', tgzPath, 'wharf']);
    expect(pushed.stdout).toContain('Done.');

    const list = (await (await fetch(`${baseUrl()}/cnr/api/v1/packages?namespace=${ns}`)).json()) as {
      name: string;
      releases: string[];
      manifests: string[];
    }[];
    expect(list).toEqual([expect.objectContaining({ name: `${ns}/api`, releases: ['0.3.0'], manifests: ['helm'] })]);
    const show = await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/api/0.3.0/helm`);
    expect(show.status).toBe(200);
    // cm-push re-packages the chart before uploading, so compare with what the repository serves.
    const pulled = await bytes(`/cnr/api/v1/packages/${ns}/api/0.3.0/helm/pull`);
    const served = await bytes(`/helm/${ns}/charts/api-0.3.0.tgz`);
    expect(served.bytes.equals(pulled.bytes)).toBe(true);
    expect(sha256(pulled.bytes)).toBe((await index(ns)).entries.api[0].digest);
    expect(tgzFiles(pulled.bytes)['api/Chart.yaml']).toContain('version: 0.3.0');
    const channel = await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/api/channels/stable/0.3.0`, { method: 'POST' });
    expect(channel.status).toBe(200);

    await helm.ok(['repo', 'update', 'wharf']);
    const search = await helm.ok(['search', 'repo', 'wharf/api', '-o', 'json']);
    expect(JSON.parse(search.stdout)).toEqual([expect.objectContaining({ name: 'wharf/api', version: '0.3.0' })]);

    // The same version again is refused (409) unless forced, as ChartMuseum does.
    const again = await run(HELM, ['cm-push', tgzPath, 'wharf'], { env: helm.env(), cwd: helm.dir });
    expect(again.code).not.toBe(0);
    expect(again.stdout + again.stderr).toMatch(/409|already exists/);
    await helm.ok(['cm-push', '--force', tgzPath, 'wharf']);
  });

  it('deleting from either side removes the chart from both', async () => {
    const ns = freshNamespace('helmdel');
    const helm = new HelmHome();
    for (const version of ['1.0.0', '2.0.0']) {
      const res = await fetch(`${baseUrl()}/api/${ns}/charts`, {
        method: 'POST',
        body: readFileSync(await helm.packageChart('db', version)),
      });
      expect(res.status).toBe(201);
    }
    expect(versionsIn(await index(ns), 'db')).toEqual(['2.0.0', '1.0.0']);

    // appr delete → gone from the index, the ChartMuseum API and the chart URL
    expect((await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/db/1.0.0/helm`, { method: 'DELETE' })).status).toBe(
      200,
    );
    expect(versionsIn(await index(ns), 'db')).toEqual(['2.0.0']);
    expect((await fetch(`${baseUrl()}/api/${ns}/charts/db/1.0.0`)).status).toBe(404);
    expect((await bytes(`/helm/${ns}/charts/db-1.0.0.tgz`)).status).toBe(404);

    // ChartMuseum delete → gone from appr as well
    const deleted = await fetch(`${baseUrl()}/api/${ns}/charts/db/2.0.0`, { method: 'DELETE' });
    expect({ status: deleted.status, body: await deleted.json() }).toEqual({ status: 200, body: { deleted: true } });
    expect((await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/db`)).status).toBe(404);
    expect((await index(ns)).entries).toEqual({});
    expect((await fetch(`${baseUrl()}/api/${ns}/charts/db/2.0.0`, { method: 'DELETE' })).status).toBe(404);
  });

  it('takes 20 concurrent cm-pushes of different versions, all in the next index', async () => {
    const ns = freshNamespace('helmconc');
    const helm = new HelmHome();
    await helm.repoAdd('wharf', repoUrl(ns));
    const versions = Array.from({ length: 20 }, (_, i) => `1.${i}.0`);
    const packages = [];
    for (const version of versions) packages.push(await helm.packageChart('burst', version));

    // cm-push gives up after 30 s by default; 20 pushes at once on a loaded 2-core machine can queue longer.
    const results = await Promise.all(
      packages.map((tgz) =>
        run(HELM, ['cm-push', '--timeout', '150', tgz, 'wharf'], {
          env: helm.env(),
          cwd: helm.dir,
          timeoutMs: 180_000,
        }),
      ),
    );

    expect(results.map((r) => (r.code === 0 ? 0 : `${r.code}: ${r.stdout}${r.stderr}`))).toEqual(versions.map(() => 0));
    const listed = versionsIn(await index(ns), 'burst');
    expect([...listed].sort()).toEqual([...versions].sort());
    expect(listed).toEqual([...versions].reverse());
  }, 240_000);

  it('serves the index with ETag and 304, gzip on request, a JSON form and size controls', async () => {
    const ns = freshNamespace('helmidx');
    const helm = new HelmHome();
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      expect(
        (
          await fetch(`${baseUrl()}/api/${ns}/charts`, {
            method: 'POST',
            body: readFileSync(await helm.packageChart('app', version)),
          })
        ).status,
      ).toBe(201);
    }
    expect(
      (
        await fetch(`${baseUrl()}/api/${ns}/charts`, {
          method: 'POST',
          body: readFileSync(await helm.packageChart('tool', '0.1.0')),
        })
      ).status,
    ).toBe(201);

    const first = await fetch(`${repoUrl(ns)}/index.yaml`);
    const etag = first.headers.get('etag')!;
    expect(etag).toBeTruthy();
    const yamlText = await first.text();
    const notModified = await fetch(`${repoUrl(ns)}/index.yaml`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);

    // gzip when asked (Node's fetch would decompress transparently, so read it raw with curl)
    const gz = execFileSync('curl', ['-s', '-H', 'Accept-Encoding: gzip', `${repoUrl(ns)}/index.yaml`]);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(parse(gunzipSync(gz).toString()).entries).toEqual(parse(yamlText).entries);

    // JSON: index.json, or index.yaml with Accept: application/json
    const json = (await (await fetch(`${repoUrl(ns)}/index.json`)).json()) as IndexFile;
    expect(json.entries).toEqual(parse(yamlText).entries);
    const negotiated = await fetch(`${repoUrl(ns)}/index.yaml`, { headers: { accept: 'application/json' } });
    expect(negotiated.headers.get('content-type')).toMatch(/^application\/json/);

    // size controls
    expect(versionsIn(await index(ns, '?latest=1'), 'app')).toEqual(['2.0.0']);
    expect(versionsIn(await index(ns, '?latest=2'), 'app')).toEqual(['2.0.0', '1.1.0']);
    expect(versionsIn(await index(ns, '?since=2999-01-01T00:00:00Z'), 'app')).toEqual(['2.0.0']);
    expect(versionsIn(await index(ns, '?window=1d'), 'app')).toEqual(['2.0.0', '1.1.0', '1.0.0']);
    expect((await fetch(`${repoUrl(ns)}/index.yaml?latest=zero`)).status).toBe(400);
    // Helm keeps a repository URL's query string: a "latest only" repository
    await helm.repoAdd('latest', `${repoUrl(ns)}?latest=1`);
    const search = await helm.ok(['search', 'repo', 'latest/', '--versions', '-o', 'json']);
    expect(
      (JSON.parse(search.stdout) as { name: string; version: string }[]).map((r) => `${r.name}@${r.version}`),
    ).toEqual(['latest/app@2.0.0', 'latest/tool@0.1.0']);

    // a change makes a new ETag, and the old one no longer answers 304 (read-your-writes)
    expect(
      (
        await fetch(`${baseUrl()}/api/${ns}/charts`, {
          method: 'POST',
          body: readFileSync(await helm.packageChart('app', '3.0.0')),
        })
      ).status,
    ).toBe(201);
    const changed = await fetch(`${repoUrl(ns)}/index.yaml`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(versionsIn(parse(await changed.text()) as IndexFile, 'app')[0]).toBe('3.0.0');
    expect(parse(yamlText).serverInfo).toEqual({ contextPath: '/helm' });
  });

  it('stores a provenance file uploaded with the chart and serves it for helm pull --verify', async () => {
    const ns = freshNamespace('helmprov');
    const helm = new HelmHome();
    const key = signingKey(helm.dir);
    const tgzPath = await helm.packageChart('signed', '1.0.0', { sign: key });
    const prov = readFileSync(`${tgzPath}.prov`);

    const form = new FormData();
    form.append('chart', new Blob([readFileSync(tgzPath)]), 'signed-1.0.0.tgz');
    form.append('prov', new Blob([prov]), 'signed-1.0.0.tgz.prov');
    const res = await fetch(`${baseUrl()}/helm/api/${ns}/charts`, { method: 'POST', body: form });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 201, body: { saved: true } });
    const served = await bytes(`/helm/${ns}/charts/signed-1.0.0.tgz.prov`);
    expect(served.status).toBe(200);
    expect(served.bytes.equals(prov)).toBe(true);

    await helm.repoAdd('wharf', repoUrl(ns));
    const out = join(helm.dir, 'verified');
    mkdirSync(out);
    const verified = await helm.ok([
      'pull',
      'wharf/signed',
      '--version',
      '1.0.0',
      '--verify',
      '--keyring',
      key.pubring,
      '-d',
      out,
    ]);
    expect(verified.stdout + verified.stderr).toMatch(/Signed by: Wharf E2E/);

    // A chart with no provenance: no .prov, and --verify fails.
    expect(
      (
        await fetch(`${baseUrl()}/api/${ns}/charts`, {
          method: 'POST',
          body: readFileSync(await helm.packageChart('unsigned', '1.0.0')),
        })
      ).status,
    ).toBe(201);
    expect((await bytes(`/helm/${ns}/charts/unsigned-1.0.0.tgz.prov`)).status).toBe(404);
    await helm.ok(['repo', 'update', 'wharf']);
    const unverified = await run(HELM, ['pull', 'wharf/unsigned', '--verify', '--keyring', key.pubring, '-d', out], {
      env: helm.env(),
      cwd: helm.dir,
    });
    expect(unverified.code).not.toBe(0);
  });

  it('refuses bad uploads with the API error format, changing nothing', async () => {
    const ns = freshNamespace('helmbad');
    const helm = new HelmHome();
    const upload = (body: Buffer | FormData, query = '') =>
      fetch(`${baseUrl()}/api/${ns}/charts${query}`, { method: 'POST', body });
    const expectError = async (res: Response, status: number, code: string) => {
      expect({ status: res.status, code: ((await res.json()) as { code: string }).code }).toEqual({ status, code });
    };

    await expectError(await upload(Buffer.from('not a chart')), 400, 'invalid-blob');
    await expectError(await upload(Buffer.alloc(0)), 400, 'invalid-usage');
    const noChartYaml = execFileSync('bash', [
      '-c',
      `cd ${helm.dir} && mkdir -p x && echo hi > x/README && tar czf - x`,
    ]);
    await expectError(await upload(noChartYaml), 400, 'invalid-chart');
    const tgz = readFileSync(await helm.packageChart('good', '1.0.0'));
    const form = new FormData();
    form.append('chart', new Blob([tgz]), 'good-1.0.0.tgz');
    form.append(
      'prov',
      new Blob([Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----\nfiles: {}\n-----BEGIN PGP SIGNATURE-----\n')]),
      'x.prov',
    );
    await expectError(await upload(form), 400, 'invalid-chart');
    expect((await index(ns)).entries).toEqual({});
    expect((await fetch(`${baseUrl()}/cnr/api/v1/packages/${ns}/good`)).status).toBe(404);

    expect((await upload(tgz)).status).toBe(201);
    await expectError(await upload(tgz), 409, 'package-exists');
    expect((await upload(tgz, '?force')).status).toBe(201);
  });
});

describe('helm against a registry that enforces authentication', () => {
  const password = 'helm-e2e-password';
  const signUp = async (username: string): Promise<string> => {
    const res = await fetch(`${enforcedUrl()}/cnr/api/v1/users`, {
      method: 'POST',
      body: JSON.stringify({ user: { username, password } }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { token: string }).token;
  };

  it('pushes with a password, a token as password and a Bearer token; a private chart is invisible to another user and to anonymous callers', async () => {
    const [owner, other] = [freshNamespace('helmown'), freshNamespace('helmother')];
    const ownerToken = await signUp(owner);
    await signUp(other);
    const repo = `${enforcedUrl()}/helm/${owner}`;

    const mine = new HelmHome();
    await mine.repoAdd('mine', repo, { username: owner, password });
    await mine.ok(['cm-push', await mine.packageChart('secret', '1.0.0'), 'mine']);
    const hidden = await fetch(`${enforcedUrl()}/cnr/api/v1/packages/${owner}/secret/visibility`, {
      method: 'PUT',
      headers: { authorization: ownerToken },
      body: JSON.stringify({ visibility: 'private' }),
    });
    expect(hidden.status).toBe(200);
    // cm-push with the token as the Basic password, then in its access-token (Bearer) mode.
    await runOk(
      HELM,
      ['cm-push', await mine.packageChart('secret', '1.1.0'), repo, '--username', owner, '--password', ownerToken],
      { env: mine.env(), cwd: mine.dir },
    );
    await runOk(HELM, ['cm-push', await mine.packageChart('secret', '1.2.0'), repo, '--access-token', ownerToken], {
      env: mine.env(),
      cwd: mine.dir,
    });

    await mine.ok(['repo', 'update', 'mine']);
    const found = JSON.parse((await mine.ok(['search', 'repo', 'mine/secret', '--versions', '-o', 'json'])).stdout) as {
      version: string;
    }[];
    expect(found.map((c) => c.version)).toEqual(['1.2.0', '1.1.0', '1.0.0']);
    const dest = tempDir('helm-private');
    await mine.ok(['pull', 'mine/secret', '--version', '1.1.0', '-d', dest]);
    const pulled = readFileSync(join(dest, 'secret-1.1.0.tgz'));
    const ownerIndex = parse(
      await (await fetch(`${repo}/index.yaml`, { headers: { authorization: `Bearer ${ownerToken}` } })).text(),
    ) as IndexFile;
    expect(sha256(pulled)).toBe(ownerIndex.entries.secret.find((v) => v.version === '1.1.0')!.digest);

    const theirs = new HelmHome();
    await theirs.repoAdd('theirs', repo, { username: other, password });
    const none = JSON.parse((await theirs.ok(['search', 'repo', 'theirs/secret', '-o', 'json'])).stdout);
    expect(none).toEqual([]);
    const denied = await run(
      HELM,
      [
        'pull',
        `${repo}/charts/secret-1.1.0.tgz`,
        '--username',
        other,
        '--password',
        password,
        '-d',
        tempDir('helm-denied'),
      ],
      { env: theirs.env(), cwd: theirs.dir },
    );
    expect(denied.code).not.toBe(0);
    expect(denied.stdout + denied.stderr).toMatch(/404/);
    const intrusion = await run(HELM, ['cm-push', await theirs.packageChart('secret', '9.9.9'), 'theirs'], {
      env: theirs.env(),
      cwd: theirs.dir,
    });
    expect(intrusion.code).not.toBe(0);
    expect(intrusion.stdout + intrusion.stderr).toMatch(/403|forbidden/);

    const anonymous = new HelmHome();
    await anonymous.repoAdd('anon', repo);
    expect(JSON.parse((await anonymous.ok(['search', 'repo', 'anon/', '-o', 'json'])).stdout)).toEqual([]);
    expect((await fetch(`${repo}/charts/secret-1.0.0.tgz`)).status).toBe(404);
    expect((await fetch(`${enforcedUrl()}/api/${owner}/charts`)).status).toBe(200);
    expect(await (await fetch(`${enforcedUrl()}/api/${owner}/charts`)).json()).toEqual({});
    const wrong = await run(HELM, ['repo', 'add', 'bad', repo, '--username', owner, '--password', 'wrong-password'], {
      env: anonymous.env(),
      cwd: anonymous.dir,
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/401/);
  });
});
