/**
 * Issue 15, the push path: what a push may carry and what it may cost the server.
 * - `metadata` is bounded in size (413 payload-too-large, the limit in details) and in nesting
 *   (400 invalid-usage, even 100,000 levels deep: never a 500), and it counts against the
 *   namespace's storage quota; a refused push stores nothing (no event, no blob, no package).
 * - Only an admin of the namespace chooses the visibility of the package a push creates: a
 *   member or robot with `write` that names `visibility` is refused 403 and stores nothing,
 *   unless the package exists and already has that visibility (CI scripts that always send it).
 * - A re-push of an existing release is answered 409 before its archive is even inspected.
 * - A dozen concurrent re-pushes of a chart that unpacks to 60 MiB are all answered 409 (the
 *   duplicate is found before the archive is inspected, and is not held up by the per-account
 *   upload bound) while the server keeps answering other requests.
 * The metadata bounds run against the open registry (WHARF_URL); the rest needs accounts, so it
 * runs against the enforced one (WHARF_ENFORCED_URL). Both exist in both profiles.
 */
import { createHash, randomBytes } from 'node:crypto';
import { HttpClient, HttpResponse, cnr, exclusively, expectError, expectJson } from '../../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../../support/target';
import { bulkyChart } from '../../support/bulky-chart';
import {
  archiveFor,
  expectRefused,
  packagePath,
  push,
  pushBody,
  pushOk,
  stats,
  uniqueNamespace,
} from '../support/appr.fixtures';
import type { Manifest } from '../support/appr.types';

jest.setTimeout(180_000);

const METADATA_LIMIT_FLOOR = 1024;

/** `levels` nested objects as JSON text, built without recursion (JSON.stringify would overflow). */
function nestedJson(levels: number): string {
  return '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
}

describe('metadata of a push (open registry)', () => {
  it('should refuse 5 MB of metadata with 413 payload-too-large, the limit in details, and store nothing', async () => {
    const ns = uniqueNamespace('e2e-meta');
    const metadata = { notes: 'x'.repeat(5 * 1024 * 1024) };
    const res = await expectRefused(
      ns,
      () => push(ns, 'big', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('big', '1.0.0'), metadata }),
      413,
      'payload-too-large',
    );
    const details = res.json<{ details: { field: string; limit: number } }>().details;
    expect(details).toEqual({ field: 'metadata', limit: expect.any(Number) });
    expect(details.limit).toBeGreaterThanOrEqual(METADATA_LIMIT_FLOOR);
    expect(details.limit).toBeLessThan(5 * 1024 * 1024);
    expectError(await cnr.get(packagePath(ns, 'big')), 404, 'package-not-found');
  });

  // 1,000 levels pass the body's bound on JSON objects and meet the metadata's depth bound; 100,000
  // levels are more objects than any request may hold, refused before the body is parsed.
  it.each([
    [1_000, 'metadata'],
    [100_000, 'body'],
  ])(
    'should refuse metadata nested %i levels deep with 400 invalid-usage (field %s) and store nothing',
    async (levels, field) => {
      const ns = uniqueNamespace('e2e-deep');
      const { blob } = pushBody({ release: '1.0.0', archive: archiveFor('deep', '1.0.0') });
      const body = `{"release":"1.0.0","media_type":"helm","blob":"${blob as string}","metadata":${nestedJson(levels)}}`;
      const send = () =>
        cnr.send('POST', packagePath(ns, 'deep'), { body, headers: { 'content-type': 'application/json' } });
      const res = await expectRefused(ns, send, 400, 'invalid-usage');
      expect(res.json<{ details: { field: string } }>().details).toMatchObject({ field });
      expectError(await cnr.get(packagePath(ns, 'deep')), 404, 'package-not-found');
    },
  );

  it('should accept metadata within the bounds and show it as pushed', async () => {
    const ns = uniqueNamespace('e2e-meta-ok');
    const metadata = {
      description: 'é'.repeat(200),
      tags: [['a', { b: [1, 2, 3] }]],
      nested: JSON.parse(nestedJson(8)),
    };
    await pushOk(ns, 'fine', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('fine', '1.0.0'), metadata });
    const manifest = (await cnr.get(packagePath(ns, 'fine', '1.0.0', 'helm'))).json<Manifest & { metadata: unknown }>();
    expect(manifest.metadata).toEqual(metadata);
  });
});

describe('re-push of an existing release (open registry)', () => {
  it('should answer 409 before the archive is inspected: a re-push with a broken archive is a duplicate, not bad input', async () => {
    const ns = uniqueNamespace('e2e-dup-first');
    await pushOk(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive: archiveFor('app', '1.0.0') });
    const broken = Buffer.from('not a gzip stream at all');
    await expectRefused(
      ns,
      () => push(ns, 'app', { release: '1.0.0', mediaType: 'helm', archive: broken }),
      409,
      'package-exists',
    );
    // The same archive under a new release is inspected, and refused as what it is.
    await expectRefused(
      ns,
      () => push(ns, 'app', { release: '1.0.1', mediaType: 'helm', archive: broken }),
      400,
      'invalid-blob',
    );
  });
});

describe('push on an enforced registry', () => {
  const id = randomBytes(4).toString('hex');
  const PASSWORD = 'correct-horse-battery';
  const anonymous = new HttpClient('/cnr', enforcedUrl);
  const clients = {} as Record<'owner' | 'writer' | 'robot' | 'admin', HttpClient>;
  let adminRoot: HttpClient;
  const org = `sp-${id}`;

  async function signUp(username: string): Promise<HttpClient> {
    const { token } = expectJson(
      await anonymous.post('/api/v1/users', {
        user: { username, password: PASSWORD, email: `${username}@example.test` },
      }),
      201,
    );
    return anonymous.with({ authorization: `Bearer ${token}` });
  }

  const counters = () => stats(adminRoot);

  /** Runs a write that must be refused, and checks that no event, no blob and no package came of it. */
  async function refusedWithNothingStored(
    ns: string,
    pkg: string,
    write: () => Promise<HttpResponse>,
    status: number,
    code: string,
  ): Promise<HttpResponse> {
    const { before, res, after } = await exclusively(async () => ({
      before: await counters(),
      res: await write(),
      after: await counters(),
    }));
    expectError(res, status, code);
    expect(after).toEqual(before);
    expectError(await clients.admin.get(packagePath(ns, pkg)), 404, 'package-not-found');
    return res;
  }

  beforeAll(async () => {
    clients.owner = await signUp(`spo-${id}`);
    clients.writer = await signUp(`spw-${id}`);
    const { token } = expectJson(await anonymous.post('/api/v1/users/login', { user: E2E_ADMIN }), 200);
    clients.admin = anonymous.with({ authorization: token });
    adminRoot = new HttpClient('', enforcedUrl, { authorization: token });
    expectJson(await clients.owner.post('/api/v1/organizations', { name: org }), 201);
    expectJson(await clients.owner.put(`/api/v1/organizations/${org}/members/spw-${id}`, { role: 'write' }), 200);
    const robot = expectJson(await clients.owner.put(`/api/v1/organizations/${org}/robots/ci`, { role: 'write' }), 200);
    clients.robot = anonymous.with({
      authorization: `Basic ${Buffer.from(`${org}+ci:${robot.token}`).toString('base64')}`,
    });
  });

  it.each(['writer', 'robot'] as const)(
    'should refuse a push that names visibility from a %s with write (403) and store nothing',
    async (who) => {
      const pkg = `vis-${who}`;
      const body = {
        ...pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor(pkg, '1.0.0', id) }),
        visibility: 'public',
      };
      const res = await refusedWithNothingStored(
        org,
        pkg,
        () => clients[who].post(packagePath(org, pkg), body),
        403,
        'forbidden',
      );
      expect(res.json<{ details: Record<string, unknown> }>().details).toMatchObject({
        namespace: org,
        field: 'visibility',
      });
      // The same push without `visibility` is within the role.
      expectJson(await clients[who].post(packagePath(org, pkg), { ...body, visibility: undefined }), 200);
    },
  );

  it('should let an admin of the namespace choose the visibility of the package a push creates', async () => {
    const body = {
      ...pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor('hidden', '1.0.0', id) }),
      visibility: 'private',
    };
    expectJson(await clients.owner.post(packagePath(org, 'hidden'), body), 200);
    expectError(await anonymous.get(packagePath(org, 'hidden')), 404, 'package-not-found');
    expectJson(await clients.writer.get(packagePath(org, 'hidden')), 200);
  });

  it('should let a write robot name the visibility its package already has (200), and nothing else (403, nothing stored)', async () => {
    const pkg = `kept-${randomBytes(3).toString('hex')}`;
    const release = (version: string, visibility: string) => ({
      ...pushBody({ release: version, mediaType: 'helm', archive: archiveFor(pkg, version, id) }),
      visibility,
    });
    expectJson(await clients.owner.post(packagePath(org, pkg), release('1.0.0', 'private')), 200);
    // A CI script that always sends the package's visibility is not choosing one.
    expectJson(await clients.robot.post(packagePath(org, pkg), release('1.1.0', 'private')), 200);
    expect(
      expectJson(await clients.robot.get(packagePath(org, pkg)), 200)
        .map((m: Manifest) => m.release)
        .sort(),
    ).toEqual(['1.0.0', '1.1.0']);
    expectError(await anonymous.get(packagePath(org, pkg)), 404, 'package-not-found');

    const { before, res, after } = await exclusively(async () => ({
      before: await counters(),
      res: await clients.robot.post(packagePath(org, pkg), release('1.2.0', 'public')),
      after: await counters(),
    }));
    expectError(res, 403, 'forbidden');
    expect(after).toEqual(before);
    // The same visibility for a package that does not exist yet would create it: the admin's choice.
    const fresh = `kept-new-${randomBytes(3).toString('hex')}`;
    await refusedWithNothingStored(
      org,
      fresh,
      () =>
        clients.robot.post(packagePath(org, fresh), {
          ...pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor(fresh, '1.0.0', id) }),
          visibility: 'private',
        }),
      403,
      'forbidden',
    );
  });

  it('should count metadata in the storage quota and refuse an over-quota push with nothing stored', async () => {
    const ns = `spq-${id}`;
    expectJson(await clients.owner.post('/api/v1/organizations', { name: ns }), 201);
    const first = archiveFor('app', '1.0.0', id);
    expectJson(
      await clients.admin.put(`/api/v1/namespaces/${ns}/limits`, { max_storage_bytes: first.length + 100 }),
      200,
    );

    const withMetadata = pushBody({
      release: '1.0.0',
      mediaType: 'helm',
      archive: first,
      metadata: { notes: 'n'.repeat(200) },
    });
    await refusedWithNothingStored(
      ns,
      'app',
      () => clients.owner.post(packagePath(ns, 'app'), withMetadata),
      413,
      'quota-exceeded',
    );

    expectJson(
      await clients.owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.0', mediaType: 'helm', archive: first }),
      ),
      200,
    );
    const second = () =>
      clients.owner.post(
        packagePath(ns, 'app2'),
        pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor('app2', '1.0.0', id) }),
      );
    await refusedWithNothingStored(ns, 'app2', second, 413, 'quota-exceeded');
  });

  it("should keep a chart's provenance file within the namespace's blob size limit and count it in the quota", async () => {
    const ns = `spp-${id}`;
    expectJson(await clients.owner.post('/api/v1/organizations', { name: ns }), 201);
    expectJson(
      await clients.admin.put(`/api/v1/namespaces/${ns}/limits`, { max_blob_bytes: 2000, max_storage_bytes: 3000 }),
      200,
    );
    /** A ChartMuseum upload of `name` 1.0.0 with a clear-signed provenance file of about `provBytes` naming it. */
    const upload = (name: string, provBytes: number) => {
      const chart = archiveFor(name, '1.0.0', id);
      const digest = createHash('sha256').update(chart).digest('hex');
      const prov = `-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nfiles:\n  ${name}-1.0.0.tgz: sha256:${digest}\n${'#'.repeat(provBytes)}\n-----BEGIN PGP SIGNATURE-----\n\n-----END PGP SIGNATURE-----\n`;
      const boundary = `b${randomBytes(8).toString('hex')}`;
      const part = (field: string, filename: string, bytes: Buffer) =>
        Buffer.concat([
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
          ),
          bytes,
          Buffer.from('\r\n'),
        ]);
      const body = Buffer.concat([
        part('chart', `${name}-1.0.0.tgz`, chart),
        part('prov', `${name}-1.0.0.tgz.prov`, Buffer.from(prov)),
        Buffer.from(`--${boundary}--\r\n`),
      ]);
      return () =>
        new HttpClient('', enforcedUrl, clients.owner.headers).send('POST', `/api/${ns}/charts`, {
          body,
          headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        });
    };
    // Each file keeps within max_blob_bytes: a provenance file over it is refused, nothing stored.
    await refusedWithNothingStored(ns, 'big', upload('big', 2500), 413, 'archive-too-large');
    // A provenance file counts with its chart: the first fits, the second would pass the quota.
    expect((await upload('one', 1300)()).status).toBe(201);
    await refusedWithNothingStored(ns, 'two', upload('two', 1300), 413, 'quota-exceeded');
  });

  // Whether other requests wait while these run is a speed, measured by bench/upload-stall.ts
  // side by side with the build before; this test holds what an answer must be.
  it('should answer 12 concurrent re-pushes of a chart that unpacks to 60 MiB with 409 each, none refused as overloaded, and leave the release as it was', async () => {
    const ns = `spo-${id}`;
    const archive = bulkyChart('heavy', '1.0.0', id);
    const body = pushBody({ release: '1.0.0', mediaType: 'helm', archive });
    expectJson(await clients.owner.post(packagePath(ns, 'heavy'), body), 200);

    const root = new HttpClient('', enforcedUrl);
    const [version, ...repushes] = await Promise.all([
      new Promise<HttpResponse>((resolve, reject) =>
        setTimeout(() => void root.get('/version').then(resolve, reject), 50),
      ),
      ...Array.from({ length: 12 }, () => clients.owner.post(packagePath(ns, 'heavy'), body)),
    ]);
    for (const res of repushes) expectError(res, 409, 'package-exists');
    expect(version.status).toBe(200);
    expect(
      expectJson(await clients.owner.get(packagePath(ns, 'heavy')), 200).map((m: { release: string }) => m.release),
    ).toEqual(['1.0.0']);
  });
});
