/**
 * Retention over HTTP (docs/architecture.md: Retention), against the enforced registry of the
 * profile under test: a namespace admin sets a policy, the dry run names what a run would delete,
 * a run deletes exactly that through ordinary deletes, and every view (appr listing and shows,
 * the Helm index.yaml) agrees afterwards; the audit trail names the policy. Bad input is refused
 * in the project's error format with nothing written, and only admins of the namespace may act.
 * The site's default is a site admin's: set through the API, it runs in a namespace without
 * policies of its own, and its deletion stops it.
 */
import { randomBytes } from 'node:crypto';
import { parse } from 'yaml';
import { HttpClient, expectError, expectJson } from '../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../support/target';
import { archiveFor, packagePath, pushBody } from './support/appr.fixtures';
import type { ListEntry } from './support/appr.types';

jest.setTimeout(120_000);

const anonymous = new HttpClient('/cnr', enforcedUrl);
const root = new HttpClient('', enforcedUrl);
const id = randomBytes(4).toString('hex');
const ns = `rt-${id}`;
const R = `/api/v1/namespaces/${ns}/retention`;
let owner: HttpClient;
let outsider: HttpClient;

interface Deleted {
  package: string;
  release: string;
  media_type: string;
  policy: string;
}

async function signUp(username: string): Promise<HttpClient> {
  const body = { user: { username, password: 'correct-horse-battery', email: `${username}@example.test` } };
  return anonymous.with({ authorization: expectJson(await anonymous.post('/api/v1/users', body), 201).token });
}

async function push(name: string, release: string, mediaType = 'helm'): Promise<void> {
  const body = pushBody({ release, mediaType, archive: archiveFor(name, release, `${id}/${mediaType}`) });
  expectJson(await owner.post(packagePath(ns, name), body), 200);
}

/** Every manifest the appr listing shows, as "package@release/mediaType", sorted. */
async function apprManifests(): Promise<string[]> {
  const listed = expectJson(await owner.get('/api/v1/packages', { query: { namespace: ns } }), 200) as ListEntry[];
  const out: string[] = [];
  for (const entry of listed)
    for (const release of entry.releases) {
      const shown = expectJson(await owner.get(packagePath(ns, entry.name.split('/')[1]!, release)), 200) as {
        mediaType: string;
      }[];
      for (const m of shown)
        out.push(`${entry.name}@${release}/${/package-manifest\.(.+)\.v0\.json$/.exec(m.mediaType)![1]}`);
    }
  return out.sort();
}

/** Every chart version index.yaml lists, as "package@release/helm", sorted. */
async function indexVersions(): Promise<string[]> {
  const res = await root.with(owner.headers).get(`/helm/${ns}/index.yaml`);
  expect(res.status).toBe(200);
  const index = parse(res.text()) as { entries: Record<string, { version: string }[]> };
  return Object.entries(index.entries)
    .flatMap(([chart, versions]) => versions.map((v) => `${ns}/${chart}@${v.version}/helm`))
    .sort();
}

/** The helm releases of `name` as ChartMuseum's API and the OCI tag list show them, each sorted. */
async function chartMuseumAndOci(name: string): Promise<{ chartmuseum: string[]; oci: string[] }> {
  const bearer = root.with({ authorization: `Bearer ${owner.headers.authorization}` });
  const versions = expectJson(await bearer.get(`/api/${ns}/charts/${name}`), 200) as { version: string }[];
  const tags = expectJson(await bearer.get(`/v2/${ns}/${name}/tags/list`), 200) as { tags: string[] };
  return { chartmuseum: versions.map((v) => v.version).sort(), oci: [...tags.tags].sort() };
}

interface Held extends Deleted {
  until: string;
}

const key = (d: Deleted) => `${d.package}@${d.release}/${d.media_type}`;

beforeAll(async () => {
  owner = await signUp(ns);
  outsider = await signUp(`rt-out-${id}`);
  for (const release of ['1.0.0', '1.1.0', '1.2.0', '2.0.0-rc.1', '2.0.0']) await push('app', release);
  await push('app', '1.1.0', 'kpm');
  for (const release of ['0.1.0', '0.2.0', '0.3.0']) await push('lib', release);
  expectJson(await owner.post(packagePath(ns, 'app', 'channels', 'stable', '1.0.0')), 200);
});

describe('retention policies', () => {
  it('should refuse bad settings in the error format, writing nothing', async () => {
    const trail = expectJson(await owner.get(`/api/v1/namespaces/${ns}/audit`), 200).length;
    for (const [body, field] of [
      [{}, 'keep_last'],
      [{ keep_last: -1 }, 'keep_last'],
      [{ keep_last: 2, prereleases: 'sometimes' }, 'prereleases'],
      [{ keep_last: 2, package: '../x' }, 'package'],
      [{ keep_last: 2, colour: 'red' }, 'colour'],
    ] as const) {
      expect(expectError(await owner.put(`${R}/policies/p`, body), 400, 'invalid-usage').details).toMatchObject({
        field,
      });
    }
    expectError(await owner.put(`${R}/policies/Bad_Id`, { keep_last: 1 }), 400, 'invalid-usage');
    expect(expectJson(await owner.get(R), 200)).toEqual([]);
    expect(expectJson(await owner.get(`/api/v1/namespaces/${ns}/audit`), 200)).toHaveLength(trail);
  });

  it('should let only admins of the namespace read or change them', async () => {
    expectError(await anonymous.get(R), 401, 'unauthorized-access');
    expectError(await outsider.get(R), 403, 'forbidden');
    expectError(await outsider.put(`${R}/policies/p`, { keep_last: 1 }), 403, 'forbidden');
    expectError(await outsider.get(`${R}/preview`), 403, 'forbidden');
    expectError(await outsider.post(`${R}/run`), 403, 'forbidden');
    expectError(await owner.get(`${R}/policies/nothing`), 404, 'retention-policy-not-found');
  });

  it('should set, show and delete a policy, each change in the audit trail', async () => {
    const set = expectJson(await owner.put(`${R}/policies/tmp`, { keep_pushed_within_days: 7 }), 200);
    expect(set).toMatchObject({ id: 'tmp', keep_last: null, keep_pushed_within_days: 7, prereleases: 'count' });
    expect(expectJson(await owner.get(`${R}/policies/tmp`), 200)).toEqual(set);
    expect(expectJson(await owner.delete(`${R}/policies/tmp`), 200)).toEqual({ status: 'ok' });
    expectError(await owner.get(`${R}/policies/tmp`), 404, 'retention-policy-not-found');
    const types = (expectJson(await owner.get(`/api/v1/namespaces/${ns}/audit`), 200) as { type: string }[]).map(
      (e) => e.type,
    );
    expect(types).toEqual(expect.arrayContaining(['RetentionPolicySet', 'RetentionPolicyDeleted']));
  });

  it('should delete in a run exactly what the dry run named, and every view should agree afterwards', async () => {
    expectJson(await owner.put(`${R}/policies/keep-2`, { package: 'app*', keep_last: 2, prereleases: 'drop' }), 200);
    const before = await apprManifests();
    expect(await indexVersions()).toEqual(before.filter((m) => m.endsWith('/helm')));

    const preview = expectJson(await owner.get(`${R}/preview`), 200) as { dry_run: boolean; deleted: Deleted[] };
    expect(preview.dry_run).toBe(true);
    // Kept: 2.0.0 and 1.2.0 (the last two), 1.0.0 (stable's current); dropped: the pre-release; lib is not covered.
    expect(preview.deleted.map(key).sort()).toEqual(
      [`${ns}/app@1.1.0/helm`, `${ns}/app@1.1.0/kpm`, `${ns}/app@2.0.0-rc.1/helm`].sort(),
    );
    expect(preview.deleted.every((d) => d.policy === 'keep-2')).toBe(true);
    expect(await apprManifests()).toEqual(before);

    const run = expectJson(await owner.post(`${R}/run`), 200) as {
      dry_run: boolean;
      deleted: Deleted[];
      skipped: unknown[];
    };
    expect(run.dry_run).toBe(false);
    expect(run.skipped).toEqual([]);
    expect(run.deleted.map(key).sort()).toEqual(preview.deleted.map(key).sort());

    const after = await apprManifests();
    expect(after).toEqual(before.filter((m) => !preview.deleted.map(key).includes(m)));
    expect(await indexVersions()).toEqual(after.filter((m) => m.endsWith('/helm')));
    const appHelm = after
      .filter((m) => m.startsWith(`${ns}/app@`) && m.endsWith('/helm'))
      .map((m) => m.slice(`${ns}/app@`.length, -'/helm'.length))
      .sort();
    expect(appHelm).toEqual(['1.0.0', '1.2.0', '2.0.0']);
    expect(await chartMuseumAndOci('app')).toEqual({ chartmuseum: appHelm, oci: appHelm });
    expect(expectJson(await owner.get(`${R}/preview`), 200).deleted).toEqual([]);

    const applied = (
      expectJson(await owner.get(`/api/v1/namespaces/${ns}/audit`), 200) as {
        type: string;
        actor: string;
        data: { deleted: { release: string; mediaType: string; policy: string }[] };
      }[]
    ).filter((e) => e.type === 'RetentionApplied');
    expect(applied).toHaveLength(1);
    expect(applied[0]!.actor).toBe(ns);
    expect(applied[0]!.data.deleted.map((d) => `${d.release}/${d.mediaType}:${d.policy}`).sort()).toEqual(
      ['1.1.0/helm:keep-2', '1.1.0/kpm:keep-2', '2.0.0-rc.1/helm:keep-2'].sort(),
    );
  });

  // A release counts as used when pushed, and pulls recorded for less than the period justify no
  // delete: so nothing pushed here goes now. Never pulled, a release is only held, until a period
  // after its push; one pulled (over appr, Helm or OCI) is kept by its pull, not held.
  it('should keep releases pulled within the period (an appr pull, a Helm download, an OCI pull), and only hold those never pulled, until a period after their push', async () => {
    const set = expectJson(
      await owner.put(`${R}/policies/pulled`, { package: 'lib', keep_last: 0, keep_pulled_within_days: 30 }),
      200,
    );
    expect(set).toMatchObject({ keep_last: 0, keep_pulled_within_days: 30 });
    const libHelm = (...releases: string[]) => releases.map((r) => `${ns}/lib@${r}/helm`);
    const nothingPulled = expectJson(await owner.get(`${R}/preview`), 200) as { deleted: Deleted[]; held: Held[] };
    expect(nothingPulled.deleted).toEqual([]);
    expect(nothingPulled.held.map(key)).toEqual(libHelm('0.3.0', '0.2.0', '0.1.0'));
    for (const h of nothingPulled.held) {
      expect(h.policy).toBe('pulled');
      // Pushed in this suite's setup: held until 30 days after that push.
      const left = Date.parse(h.until) - Date.now();
      expect(left).toBeGreaterThan(29 * 86_400_000);
      expect(left).toBeLessThanOrEqual(30 * 86_400_000);
    }

    expect((await owner.get(packagePath(ns, 'lib', '0.2.0', 'helm', 'pull'))).status).toBe(200);
    const index = parse((await root.with(owner.headers).get(`/helm/${ns}/index.yaml`)).text()) as {
      entries: Record<string, { version: string; urls: string[] }[]>;
    };
    const chartUrl = index.entries.lib!.find((v) => v.version === '0.3.0')!.urls[0]!;
    const download = await root.with(owner.headers).get(new URL(chartUrl, `${enforcedUrl()}/helm/${ns}/`).pathname);
    expect(download.status).toBe(200);

    const preview = expectJson(await owner.get(`${R}/preview`), 200) as { deleted: Deleted[]; held: Held[] };
    expect(preview.deleted).toEqual([]);
    expect(preview.held.map(key)).toEqual(libHelm('0.1.0'));

    // Pulled over OCI alone (as `helm pull oci://` does: the manifest, then the chart layer): kept, no longer held.
    const oci = root.with(owner.headers);
    const manifest = await oci.get(`/v2/${ns}/lib/manifests/0.1.0`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(manifest.status).toBe(200);
    const layer = manifest.json<{ layers: { digest: string }[] }>().layers[0]!.digest;
    expect((await oci.get(`/v2/${ns}/lib/blobs/${layer}`)).status).toBe(200);
    const run = expectJson(await owner.post(`${R}/run`), 200) as { deleted: Deleted[]; held: Held[] };
    expect(run.deleted).toEqual([]);
    expect(run.held).toEqual([]);
    expectJson(await owner.delete(`${R}/policies/pulled`), 200);
  });
});

describe("the site's default policy", () => {
  const SITE = '/api/v1/retention/default';
  const pkg = `sd-${id}`;
  let siteAdmin: HttpClient;
  let plain: HttpClient;
  let plainNs: string;

  beforeAll(async () => {
    const token = expectJson(await anonymous.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token as string;
    siteAdmin = anonymous.with({ authorization: token });
    plainNs = `rt-plain-${id}`;
    plain = await signUp(plainNs);
    for (const release of ['1.0.0', '1.1.0', '1.2.0']) {
      const body = pushBody({ release, mediaType: 'helm', archive: archiveFor(pkg, release, `${id}/site`) });
      expectJson(await plain.post(packagePath(plainNs, pkg), body), 200);
    }
  });

  // Other suites share the registry: the default this suite sets covers its own package only, and goes at the end.
  afterAll(async () => {
    await siteAdmin.delete(SITE);
  });

  const previewOf = async (client: HttpClient, namespace: string) =>
    (
      expectJson(await client.get(`/api/v1/namespaces/${namespace}/retention/preview`), 200) as { deleted: Deleted[] }
    ).deleted.map((d) => `${d.package}@${d.release}:${d.policy}`);

  it('should be for site admins only: a namespace admin gets 403, an anonymous caller 401', async () => {
    for (const client of [owner, plain]) {
      expectError(await client.get(SITE), 403, 'forbidden');
      expectError(await client.put(SITE, { keep_last: 1 }), 403, 'forbidden');
      expectError(await client.delete(SITE), 403, 'forbidden');
    }
    expectError(await anonymous.get(SITE), 401, 'unauthorized-access');
    expectError(await anonymous.put(SITE, { keep_last: 1 }), 401, 'unauthorized-access');
  });

  it('should refuse bad settings in the error format, writing nothing', async () => {
    const before = expectJson(await siteAdmin.get(SITE), 200);
    for (const [body, field] of [
      [{}, 'keep_last'],
      [{ keep_last: 1, colour: 'red' }, 'colour'],
      [{ keep_last: 1, package: '../x' }, 'package'],
    ] as const)
      expect(expectError(await siteAdmin.put(SITE, body), 400, 'invalid-usage').details).toMatchObject({ field });
    expect(expectJson(await siteAdmin.get(SITE), 200)).toEqual(before);
  });

  it('should run, set through the API, in a namespace without policies, and stop once deleted', async () => {
    const set = expectJson(await siteAdmin.put(SITE, { package: pkg, keep_last: 1 }), 200);
    expect(set).toMatchObject({ source: 'api', policy: { id: 'site-default', package: pkg, keep_last: 1 } });
    expect(expectJson(await siteAdmin.get(SITE), 200)).toEqual(set);
    expect(await previewOf(plain, plainNs)).toEqual([
      `${plainNs}/${pkg}@1.1.0:site-default`,
      `${plainNs}/${pkg}@1.0.0:site-default`,
    ]);
    // A namespace with policies of its own runs only those (rt-… holds keep-2).
    expect((await previewOf(owner, ns)).some((d) => d.endsWith(':site-default'))).toBe(false);

    expect(expectJson(await siteAdmin.delete(SITE), 200)).toEqual({ source: 'none', policy: null });
    expect(await previewOf(plain, plainNs)).toEqual([]);
    expectError(await siteAdmin.delete(SITE), 404, 'retention-policy-not-found');
  });
});
