/**
 * Issue 15, items 4 and 9, through HTTP against the registry that enforces authentication
 * (WHARF_ENFORCED_URL, either profile): the writer keeps a namespace within its storage quota
 * under concurrent pushes into different packages, a namespace that forbids overwrites cannot
 * get other bytes under a deleted release, a package keeps its visibility when every release was
 * deleted and it is pushed again, and (review finding 2) a package's releases hold at most
 * WHARF_MAX_PACKAGE_METADATA_BYTES of metadata together (the default, 1 MiB, on this registry).
 */
import { randomBytes } from 'node:crypto';
import { HttpClient, exclusively, expectError, expectJson } from '../../support/http-client';
import { E2E_ADMIN, enforcedUrl } from '../../support/target';
import { apprDigest, archiveFor, packagePath, pushBody, stats } from '../support/appr.fixtures';

jest.setTimeout(120_000);

const anonymous = new HttpClient('/cnr', enforcedUrl);
const id = randomBytes(4).toString('hex');
let owner: HttpClient;
let siteAdmin: HttpClient;

/** Events and blobs of the whole registry, as its site admin sees them. */
const counters = () => stats(new HttpClient('', enforcedUrl, siteAdmin.headers));

/** A fresh organisation of the owner, with `limits` set by the site admin. */
async function organisation(label: string, limits: Record<string, number | boolean> = {}): Promise<string> {
  const name = `${label}-${id}-${randomBytes(2).toString('hex')}`;
  expectJson(await owner.post('/api/v1/organizations', { name }), 201);
  if (Object.keys(limits).length > 0) expectJson(await siteAdmin.put(`/api/v1/namespaces/${name}/limits`, limits), 200);
  return name;
}

beforeAll(async () => {
  const username = `sw-${id}`;
  const token = expectJson(
    await anonymous.post('/api/v1/users', {
      user: { username, password: 'correct-horse-battery', email: `${username}@example.test` },
    }),
    201,
  ).token;
  owner = anonymous.with({ authorization: token });
  siteAdmin = anonymous.with({
    authorization: expectJson(await anonymous.post('/api/v1/users/login', { user: E2E_ADMIN }), 200).token,
  });
});

describe('a namespace storage quota under concurrent pushes', () => {
  it('12 parallel pushes into 12 packages under a 700-byte quota store at most 700 bytes, and as many as fit', async () => {
    const quota = 700;
    const ns = await organisation('quota', { max_storage_bytes: quota });
    const archives = Array.from({ length: 12 }, (_, i) => ({
      name: `app${i}`,
      archive: archiveFor(`app${i}`, '1.0.0', id),
    }));
    expect(archives.every(({ archive }) => archive.length < quota / 2)).toBe(true); // several fit, not all

    const responses = await Promise.all(
      archives.map(({ name, archive }) =>
        owner.post(packagePath(ns, name), pushBody({ release: '1.0.0', mediaType: 'helm', archive })),
      ),
    );

    const admitted = archives.filter((_, i) => responses[i].status === 200);
    const refused = archives.filter((_, i) => responses[i].status !== 200);
    for (const res of responses.filter((r) => r.status !== 200)) expectError(res, 413, 'quota-exceeded');
    const storedBytes = admitted.reduce((sum, { archive }) => sum + archive.length, 0);
    expect(storedBytes).toBeLessThanOrEqual(quota);
    expect(admitted.length).toBeGreaterThan(0);
    // Exact: none of the refused pushes would still have fitted.
    expect(storedBytes + Math.min(...refused.map(({ archive }) => archive.length))).toBeGreaterThan(quota);
    // What the registry shows is what was acknowledged, and nothing else.
    const shown = await Promise.all(archives.map(({ name }) => owner.get(packagePath(ns, name, '1.0.0', 'helm'))));
    expect(shown.map((r) => r.status)).toEqual(responses.map((r) => (r.status === 200 ? 200 : 404)));
  });
});

describe('a namespace that forbids overwrites', () => {
  it('refuses other bytes under a deleted release with 409, and takes the same bytes back', async () => {
    const ns = await organisation('frozen', { allow_overwrites: false });
    const original = archiveFor('app', '1.0.0', `original-${id}`);
    const other = archiveFor('app', '1.0.0', `other-${id}`);
    expectJson(
      await owner.post(packagePath(ns, 'app'), pushBody({ release: '1.0.0', mediaType: 'helm', archive: original })),
      200,
    );
    expectJson(await owner.delete(packagePath(ns, 'app', '1.0.0', 'helm')), 200);

    // Refused before its blob is stored: the registry holds no more blobs or events than before.
    const { before, swapped, after } = await exclusively(async () => ({
      before: await counters(),
      swapped: await owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.0', mediaType: 'helm', archive: other }),
      ),
      after: await counters(),
    }));
    expect(expectError(swapped, 409, 'overwrite-forbidden').details).toMatchObject({
      release: '1.0.0',
      media_type: 'helm',
    });
    expect(after).toEqual(before);
    expectError(await owner.get(packagePath(ns, 'app', '1.0.0', 'helm')), 404, [
      'package-not-found',
      'package-release-not-found',
    ]);

    expectJson(
      await owner.post(packagePath(ns, 'app'), pushBody({ release: '1.0.0', mediaType: 'helm', archive: original })),
      200,
    );
    expect(expectJson(await owner.get(packagePath(ns, 'app', '1.0.0', 'helm')), 200).content.digest).toBe(
      apprDigest(original),
    );
  });

  it('still lets another release of the package be pushed', async () => {
    const ns = await organisation('frozen-other', { allow_overwrites: false });
    expectJson(
      await owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor('app', '1.0.0', id) }),
      ),
      200,
    );
    expectJson(await owner.delete(packagePath(ns, 'app', '1.0.0', 'helm')), 200);
    expectJson(
      await owner.post(
        packagePath(ns, 'app'),
        pushBody({ release: '1.0.1', mediaType: 'helm', archive: archiveFor('app', '1.0.1', id) }),
      ),
      200,
    );
  });
});

describe('a package emptied by deletes', () => {
  async function emptiedPrivatePackage(): Promise<{ ns: string; name: string }> {
    const ns = await organisation('private');
    const name = 'app';
    expectJson(
      await owner.post(packagePath(ns, name), {
        ...pushBody({ release: '1.0.0', mediaType: 'helm', archive: archiveFor(name, '1.0.0', id) }),
        visibility: 'private',
      }),
      200,
    );
    expectError(await anonymous.get(packagePath(ns, name)), 404, 'package-not-found');
    expectJson(await owner.delete(packagePath(ns, name, '1.0.0', 'helm')), 200);
    return { ns, name };
  }

  it('keeps its private visibility when an admin pushes it again without one: anonymous callers cannot see it', async () => {
    const { ns, name } = await emptiedPrivatePackage();

    expectJson(
      await owner.post(
        packagePath(ns, name),
        pushBody({ release: '2.0.0', mediaType: 'helm', archive: archiveFor(name, '2.0.0', id) }),
      ),
      200,
    );

    expect(expectJson(await owner.get(packagePath(ns, name, '2.0.0', 'helm')), 200).release).toBe('2.0.0');
    expectError(await anonymous.get(packagePath(ns, name)), 404, 'package-not-found');
    expectError(await anonymous.get(packagePath(ns, name, '2.0.0', 'helm', 'pull')), 404, 'package-not-found');
    const listed = expectJson(await anonymous.get('/api/v1/packages', { query: { namespace: ns } }), 200) as {
      name: string;
    }[];
    expect(listed.map((p) => p.name)).not.toContain(`${ns}/${name}`);
  });

  it('refuses a push that asks for another visibility with 409, pointing at the visibility route', async () => {
    const { ns, name } = await emptiedPrivatePackage();

    const res = await owner.post(packagePath(ns, name), {
      ...pushBody({ release: '2.0.0', mediaType: 'helm', archive: archiveFor(name, '2.0.0', id) }),
      visibility: 'public',
    });

    expect(expectError(res, 409, 'visibility-conflict').message).toContain('/visibility');
    expectError(await anonymous.get(packagePath(ns, name)), 404, 'package-not-found');
    expectError(await owner.get(packagePath(ns, name, '2.0.0', 'helm')), 404, [
      'package-not-found',
      'package-release-not-found',
    ]);
  });
});

describe('the metadata a package holds in all', () => {
  /** The defaults this registry runs with: WHARF_MAX_METADATA_BYTES and WHARF_MAX_PACKAGE_METADATA_BYTES. */
  const perRelease = 64 * 1024;
  const perPackage = 256 * 1024;
  /** Metadata of exactly `bytes` bytes as compact JSON: {"pad":"xx…"}. */
  const metadataOf = (bytes: number) => ({ pad: 'x'.repeat(bytes - 10) });

  it('takes 4 releases of 64 KiB metadata (256 KiB exactly) and refuses the 5th with 413, storing nothing', async () => {
    const ns = await organisation('metadata');
    const name = 'app';
    const releases = Array.from({ length: perPackage / perRelease + 1 }, (_, i) => `${i + 1}.0.0`);
    const last = releases.pop()!;
    for (const release of releases) {
      expectJson(
        await owner.post(
          packagePath(ns, name),
          pushBody({
            release,
            mediaType: 'helm',
            archive: archiveFor(name, release, id),
            metadata: metadataOf(perRelease),
          }),
        ),
        200,
      );
    }

    const { before, refused, after } = await exclusively(async () => ({
      before: await counters(),
      refused: await owner.post(
        packagePath(ns, name),
        pushBody({
          release: last,
          mediaType: 'helm',
          archive: archiveFor(name, last, id),
          metadata: metadataOf(perRelease),
        }),
      ),
      after: await counters(),
    }));

    expect(expectError(refused, 413, 'payload-too-large').details).toEqual({
      field: 'metadata',
      limit: perPackage,
      package: `${ns}/${name}`,
    });
    expect(after).toEqual(before);
    expectError(await owner.get(packagePath(ns, name, last, 'helm')), 404, [
      'package-not-found',
      'package-release-not-found',
    ]);
    // A release without metadata adds none, so the full package still takes it.
    expectJson(
      await owner.post(
        packagePath(ns, name),
        pushBody({ release: last, mediaType: 'helm', archive: archiveFor(name, last, id) }),
      ),
      200,
    );
  });

  it("lets a forced push grow a release's metadata by exactly the room the package has left", async () => {
    const ns = await organisation('metadata-force');
    const name = 'app';
    const pushOf = (release: string, bytes: number, force = false) =>
      owner.post(
        packagePath(ns, name),
        pushBody({
          release,
          mediaType: 'helm',
          archive: archiveFor(name, release, `${id}/${bytes}`),
          metadata: metadataOf(bytes),
          ...(force ? { force: 'true' } : {}),
        }),
      );
    for (let i = 1; i <= 3; i++) expectJson(await pushOf(`${i}.0.0`, perRelease), 200);
    expectJson(await pushOf('4.0.0', 1_000), 200);
    expectJson(await pushOf('5.0.0', 40_000), 200);
    const room = perPackage - 3 * perRelease - 1_000 - 40_000; // 24,536 bytes

    const over = await pushOf('4.0.0', 1_000 + room + 1, true);
    expect(expectError(over, 413, 'payload-too-large').details).toEqual({
      field: 'metadata',
      limit: perPackage,
      package: `${ns}/${name}`,
    });
    expectJson(await pushOf('4.0.0', 1_000 + room, true), 200);
  });
});
