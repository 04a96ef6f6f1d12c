/**
 * Parity with the reference server's own HTTP suite (appr `tests/test_apiserver.py`, appr-api.md
 * §5), rewritten black-box: seeded through HTTP like backup1.json, asserting constants computed
 * here instead of reading the server's database, under the `/cnr` mount that appr clients use.
 *
 * Read-only cases share one seed; every case that mutates seeds its own namespace, so the cases
 * do not depend on their order.
 */
import { cnr, expectError, root } from '../support/http-client';
import {
  apprDigest,
  archiveFor,
  contentMediaType,
  eventually,
  expectedManifest,
  isoDateTime,
  listNamespace,
  packagePath,
  push,
  pushOk,
  search,
  seedRocketchat,
  uniqueNamespace,
  uniqueToken,
  withSortedChannels,
  type RocketchatSeed,
} from './support/appr.fixtures';
import type { BlobJson, ChannelView, ListEntry, Manifest, PullJson } from './support/appr.types';

jest.setTimeout(30_000);

let seed: RocketchatSeed;

beforeAll(async () => {
  seed = await seedRocketchat();
});

function rocketchatEntry(ns: string): ListEntry {
  return {
    name: `${ns}/rocketchat`,
    namespace: ns,
    default: '2.0.1',
    releases: ['2.0.1', '1.0.1', '0.0.1'],
    manifests: ['kpm'],
    visibility: 'public',
    created_at: isoDateTime,
    updated_at: isoDateTime,
  };
}

describe('version', () => {
  it('GET /version names both API flavours', async () => {
    const res = await cnr.get('/version');
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(
      expect.objectContaining({ 'appr-api': expect.any(String), 'cnr-api': expect.any(String) }),
    );
  });
});

describe('search', () => {
  it('finds the package by a fragment of its name', async () => {
    const found = await eventually(async () => {
      const names = await search('rock');
      expect(names).toContain(seed.pkg);
      return names;
    });
    for (const name of found) expect(name).toMatch(/^[^/]+\/[^/]+$/);
  });

  it('answers [] when nothing matches', async () => {
    expect(await search(uniqueToken())).toEqual([]);
  });

  it('filters by the exact namespace and by media type (?namespace=&media_type=)', async () => {
    const found = async (query: Record<string, string>) => {
      const res = await cnr.get('/api/v1/packages/search', { query: { q: 'rocketchat', ...query } });
      expect(res.status).toBe(200);
      return res.json<string[]>();
    };
    await eventually(async () => {
      expect(await found({ namespace: seed.ns })).toEqual([seed.pkg]);
      expect(await found({ namespace: seed.ns, media_type: 'helm' })).toEqual([seed.pkg]);
      expect(await found({ namespace: seed.ns, media_type: 'docker-compose' })).toEqual([]);
      expect(await found({ namespace: `${seed.ns}x` })).toEqual([]);
    });
    expectError(
      await cnr.get('/api/v1/packages/search', { query: { q: 'rocketchat', media_type: 'Not A Type' } }),
      400,
      'invalid-media-type',
    );
  });

  it('sorts by relevance (the default) or by the newest release (?sort=recent), and refuses another order', async () => {
    const ns = uniqueNamespace();
    const token = uniqueToken('sort');
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `${ns}/${token}-${x}`);
    for (const pkg of [a, b, c]) {
      const name = pkg.split('/')[1]!;
      await pushOk(ns, name, { release: '1.0.0', mediaType: 'helm', archive: archiveFor(name, '1.0.0') });
    }
    const found = async (sort?: string) => {
      const res = await cnr.get('/api/v1/packages/search', { query: { q: token, ...(sort ? { sort } : {}) } });
      expect(res.status).toBe(200);
      return res.json<string[]>();
    };
    await eventually(async () => expect(await found('recent')).toEqual([c, b, a]));
    expect(await found('relevance')).toEqual(await found());
    expect((await found()).sort()).toEqual([a, b, c]);

    // A new release of the oldest makes it the newest.
    await pushOk(ns, `${token}-a`, { release: '1.1.0', mediaType: 'helm', archive: archiveFor(`${token}-a`, '1.1.0') });
    await eventually(async () => expect(await found('recent')).toEqual([a, c, b]));

    for (const sort of ['newest', 'RECENT']) {
      expectError(await cnr.get('/api/v1/packages/search', { query: { q: token, sort } }), 400, 'invalid-usage');
    }
    expectError(
      await cnr.get('/api/v1/packages/search', { query: `q=${token}&sort=recent&sort=relevance` }),
      400,
      'invalid-usage',
    );
  });
});

describe('list', () => {
  it('filters by query (match)', async () => {
    await eventually(async () => {
      const res = await cnr.get('/api/v1/packages', { query: { namespace: seed.ns, query: 'rock' } });
      expect(res.status).toBe(200);
      expect(res.json()).toEqual([rocketchatEntry(seed.ns)]);
    });
  });

  it('filters by query (no match)', async () => {
    const res = await cnr.get('/api/v1/packages', { query: { namespace: seed.ns, query: uniqueToken() } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([]);
  });

  it('lists all packages, ours among them, every entry in the list shape', async () => {
    const res = await cnr.get('/api/v1/packages/');
    expect(res.status).toBe(200);
    const all = res.json<ListEntry[]>();
    expect(all).toContainEqual(rocketchatEntry(seed.ns));
    for (const entry of all) {
      expect(entry).toEqual({
        name: `${entry.namespace}/${entry.name.split('/')[1]}`,
        namespace: expect.any(String),
        default: entry.releases[0],
        releases: expect.any(Array),
        manifests: expect.any(Array),
        visibility: expect.any(String),
        created_at: isoDateTime,
        updated_at: isoDateTime,
      });
    }
  });

  it('filters by namespace', async () => {
    expect(await listNamespace(seed.ns)).toEqual([rocketchatEntry(seed.ns)]);
  });

  it('filters by media type', async () => {
    const res = await cnr.get('/api/v1/packages', { query: { namespace: seed.ns, media_type: 'helm' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([
      { ...rocketchatEntry(seed.ns), default: '0.0.1', releases: ['0.0.1'], manifests: ['helm'] },
    ]);
  });

  it('is empty for a namespace without packages', async () => {
    expect(await listNamespace(uniqueNamespace())).toEqual([]);
  });
});

describe('pull', () => {
  it('returns the exact pushed bytes as application/x-gzip with a bare-filename Content-Disposition', async () => {
    const res = await cnr.get(seed.path('1.0.1', 'kpm', 'pull'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-gzip\b/);
    expect(res.headers.get('content-disposition')).toBe(`${seed.ns}_rocketchat_1.0.1.tar.gz`);
    expect(res.bytes.equals(seed.release('1.0.1', 'kpm').archive)).toBe(true);
  });

  it('404s a release that does not exist', async () => {
    expectError(await cnr.get(seed.path('1.0.3', 'kpm', 'pull')), 404, 'package-release-not-found');
  });

  it('422s a release query that does not parse', async () => {
    expectError(await cnr.get(seed.path('abc', 'kpm', 'pull')), 422, 'invalid-release');
  });

  it('resolves the "-" media type to the release\'s only one', async () => {
    const res = await cnr.get(seed.path('1.0.1', '-', 'pull', 'json'));
    expect(res.status).toBe(200);
    expect(res.json<PullJson>().media_type).toBe('kpm');
    const raw = await cnr.get(seed.path('1.0.1', '-', 'pull'));
    expect(raw.status).toBe(200);
    expect(raw.bytes.equals(seed.release('1.0.1', 'kpm').archive)).toBe(true);
  });

  it('refuses the "-" media type when the release has several', async () => {
    expectError(await cnr.get(seed.path('0.0.1', '-', 'pull')), 400, 'invalid-usage');
  });

  it('returns the JSON form, blob equal to the pushed base64, via ?format=json and /pull/json', async () => {
    const expected: PullJson = {
      package: seed.pkg,
      release: '1.0.1',
      media_type: 'kpm',
      filename: `${seed.ns}_rocketchat_1.0.1.tar.gz`,
      blob: seed.release('1.0.1', 'kpm').archive.toString('base64'),
    };
    const viaQuery = await cnr.get(seed.path('1.0.1', 'kpm', 'pull'), { query: { format: 'json' } });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.json()).toEqual(expected);
    const viaPath = await cnr.get(seed.path('1.0.1', 'kpm', 'pull', 'json'));
    expect(viaPath.status).toBe(200);
    expect(viaPath.json()).toEqual(expected);
  });
});

describe('push', () => {
  it('stores a new release, answers {"status":"ok"} and serves it back', async () => {
    const ns = uniqueNamespace();
    const archive = archiveFor('rocketchat', '2.4.1', 'new');
    const metadata = { maintainers: ['e2e'], source: 'https://example.invalid/rocketchat' };
    await pushOk(ns, 'rocketchat', { release: '2.4.1', mediaType: 'kpm', archive, metadata });

    const pulled = await cnr.get(packagePath(ns, 'rocketchat', '2.4.1', 'kpm', 'pull', 'json'));
    expect(pulled.json<PullJson>().blob).toBe(archive.toString('base64'));
    const shown = await cnr.get(packagePath(ns, 'rocketchat', '2.4.1', 'kpm'));
    expect(shown.status).toBe(200);
    expect(shown.json()).toEqual(
      expectedManifest(`${ns}/rocketchat`, '2.4.1', 'kpm', archive, { channels: [], metadata }),
    );
  });

  it('422s a release that is not semver', async () => {
    const res = await push(seed.ns, 'rocketchat', {
      release: 'anc',
      mediaType: 'kpm',
      archive: archiveFor('rocketchat', 'anc'),
    });
    expectError(res, 422, 'invalid-release');
  });

  it('409s a release+media type that exists', async () => {
    const res = await push(seed.ns, 'rocketchat', {
      release: '1.0.1',
      mediaType: 'kpm',
      archive: archiveFor('rocketchat', '1.0.1', 'other'),
    });
    expectError(res, 409, 'package-exists');
  });

  it('replaces it with force "true" in the body', async () => {
    const own = await seedRocketchat();
    const replacement = archiveFor('rocketchat', '1.0.1', 'forced');
    await pushOk(own.ns, 'rocketchat', { release: '1.0.1', mediaType: 'kpm', archive: replacement, force: 'true' });
    const pulled = await cnr.get(own.path('1.0.1', 'kpm', 'pull'));
    expect(pulled.bytes.equals(replacement)).toBe(true);
    const shown = await cnr.get(own.path('1.0.1', 'kpm'));
    expect(shown.json<Manifest>().content.digest).toBe(apprDigest(replacement));
  });

  it('replaces it with ?force=true', async () => {
    const own = await seedRocketchat();
    const replacement = archiveFor('rocketchat', '2.0.1', 'forced-by-query');
    const res = await push(own.ns, 'rocketchat', { release: '2.0.1', mediaType: 'kpm', archive: replacement }, cnr, {
      force: 'true',
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect((await cnr.get(own.path('2.0.1', 'kpm', 'pull'))).bytes.equals(replacement)).toBe(true);
  });

  it('does not force on a JSON boolean true', async () => {
    const original = seed.release('1.0.1', 'kpm').archive;
    const res = await push(seed.ns, 'rocketchat', {
      release: '1.0.1',
      mediaType: 'kpm',
      archive: archiveFor('rocketchat', '1.0.1', 'bool'),
      force: true,
    });
    expectError(res, 409, 'package-exists');
    expect((await cnr.get(seed.path('1.0.1', 'kpm', 'pull'))).bytes.equals(original)).toBe(true);
  });
});

describe('blobs', () => {
  it('serves a blob by its appr digest, raw and as JSON', async () => {
    const kpm = seed.release('2.0.1', 'kpm');
    const raw = await cnr.get(seed.path('blobs', 'sha256', kpm.digest));
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toMatch(/^application\/x-gzip\b/);
    expect(raw.bytes.equals(kpm.archive)).toBe(true);

    const expected: BlobJson = {
      package: seed.pkg,
      release: kpm.digest,
      filename: `${seed.ns}_rocketchat_${kpm.digest.slice(0, 8)}.tar.gz`,
      blob: kpm.archive.toString('base64'),
    };
    const viaQuery = await cnr.get(seed.path('blobs', 'sha256', kpm.digest), { query: { format: 'json' } });
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.json()).toEqual(expected);
    const viaPath = await cnr.get(seed.path('blobs', 'sha256', kpm.digest, 'json'));
    expect(viaPath.status).toBe(200);
    expect(viaPath.json()).toEqual(expected);
  });

  it('404s an unknown digest, under a known and an unknown package', async () => {
    expectError(await cnr.get(seed.path('blobs', 'sha256', '12345')), 404, 'package-not-found');
    expectError(await cnr.get(seed.path('blobs', 'sha256', 'a'.repeat(64))), 404, 'package-not-found');
    expectError(await cnr.get(packagePath(seed.ns, 'b', 'blobs', 'sha256', '12345')), 404, 'package-not-found');
  });

  it('404s a digest that belongs to another package', async () => {
    const other = 'other-app';
    const archive = archiveFor(other, '1.0.0');
    await pushOk(seed.ns, other, { release: '1.0.0', mediaType: 'kpm', archive });
    expect((await cnr.get(packagePath(seed.ns, other, 'blobs', 'sha256', apprDigest(archive)))).status).toBe(200);
    expectError(await cnr.get(seed.path('blobs', 'sha256', apprDigest(archive))), 404, 'package-not-found');
  });
});

describe('delete', () => {
  it('deletes a release+media type, then 404s it', async () => {
    const own = await seedRocketchat();
    expect((await cnr.get(own.path('1.0.1', 'kpm'))).status).toBe(200);
    const res = await cnr.delete(own.path('1.0.1', 'kpm'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'deleted', package: own.pkg, release: '1.0.1' });
    expectError(await cnr.get(own.path('1.0.1', 'kpm')), 404, 'package-release-not-found');
    // The second delete finds nothing; the brief fixes the status, the reference says package-not-found.
    expectError(await cnr.delete(own.path('1.0.1', 'kpm')), 404, ['package-not-found', 'package-release-not-found']);
    expect((await listNamespace(own.ns))[0].releases).toEqual(['2.0.1', '0.0.1']);
  });

  it('404s deleting from a package that does not exist', async () => {
    expectError(
      await cnr.delete(packagePath(uniqueNamespace(), 'rocketchat', '1.0.1', 'kpm')),
      404,
      'package-not-found',
    );
  });

  it('removes the package from list and search when its last release goes', async () => {
    const ns = uniqueNamespace();
    const name = uniqueToken('gone');
    await pushOk(ns, name, { release: '1.0.0', mediaType: 'helm', archive: archiveFor(name, '1.0.0') });
    await eventually(async () => expect(await search(name)).toEqual([`${ns}/${name}`]));

    const res = await cnr.delete(packagePath(ns, name, '1.0.0', 'helm'));
    expect(res.json()).toEqual({ status: 'deleted', package: `${ns}/${name}`, release: '1.0.0' });
    expect(await listNamespace(ns)).toEqual([]);
    await eventually(async () => expect(await search(name)).toEqual([]));
  });
});

describe('show', () => {
  it('shows one manifest: digest of the gunzipped tar, size of the gzip, current channels', async () => {
    const kpm = seed.release('1.0.1', 'kpm');
    const res = await cnr.get(seed.path('1.0.1', 'kpm'));
    expect(res.status).toBe(200);
    expect(withSortedChannels(res.json<Manifest>())).toEqual(
      expectedManifest(seed.pkg, '1.0.1', 'kpm', kpm.archive, { channels: ['dev'] }),
    );
    expect(res.json<Manifest>().content.digest).toBe(kpm.digest);
  });

  it('shows every manifest of every release', async () => {
    const res = await cnr.get(seed.path());
    expect(res.status).toBe(200);
    const manifests = res.json<Manifest[]>();
    expect(manifests).toHaveLength(4);
    for (const [release, mediaType] of [
      ['0.0.1', 'kpm'],
      ['1.0.1', 'kpm'],
      ['2.0.1', 'kpm'],
      ['0.0.1', 'helm'],
    ]) {
      expect(manifests).toContainEqual(
        expectedManifest(seed.pkg, release, mediaType, seed.release(release, mediaType).archive),
      );
    }
  });

  it('filters all manifests by media type', async () => {
    const res = await cnr.get(seed.path(), { query: { media_type: 'helm' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual([expectedManifest(seed.pkg, '0.0.1', 'helm', seed.release('0.0.1', 'helm').archive)]);
  });

  it('shows the manifests of one release', async () => {
    const one = await cnr.get(seed.path('1.0.1'));
    expect(one.status).toBe(200);
    expect(one.json()).toEqual([expectedManifest(seed.pkg, '1.0.1', 'kpm', seed.release('1.0.1', 'kpm').archive)]);

    const two = await cnr.get(seed.path('0.0.1'));
    expect(two.status).toBe(200);
    const manifests = two.json<Manifest[]>();
    expect(manifests).toHaveLength(2);
    expect(manifests.map((m) => m.content.mediaType).sort()).toEqual([
      contentMediaType('helm'),
      contentMediaType('kpm'),
    ]);
  });

  it('404s a package that does not exist', async () => {
    expectError(await cnr.get(packagePath(uniqueNamespace(), 'rocketchat', '1.0.1', 'kpm')), 404, 'package-not-found');
    expectError(await cnr.get(packagePath(uniqueNamespace(), 'rocketchat')), 404, 'package-not-found');
  });

  it('404s a media type the release does not have', async () => {
    expectError(await cnr.get(seed.path('1.0.1', 'helm')), 404, 'package-not-found');
  });

  it('422s a release query that does not parse', async () => {
    expectError(await cnr.get(seed.path('abc', 'kpm')), 422, 'invalid-release');
  });

  it('shows the helm manifest of a release that also has kpm', async () => {
    const helm = seed.release('0.0.1', 'helm');
    const res = await cnr.get(seed.path('0.0.1', 'helm'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(expectedManifest(seed.pkg, '0.0.1', 'helm', helm.archive, { channels: [] }));
  });
});

describe('channels', () => {
  it('shows a channel', async () => {
    const res = await cnr.get(seed.path('channels', 'stable'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'stable', current: '2.0.1', releases: ['2.0.1', '1.0.1'] });
  });

  it('404s a channel of a package that does not exist', async () => {
    expectError(
      await cnr.get(packagePath(uniqueNamespace(), 'rocketchat', 'channels', 'no')),
      404,
      'package-not-found',
    );
  });

  it('404s a channel that does not exist', async () => {
    expectError(await cnr.get(seed.path('channels', 'no')), 404, 'channel-not-found');
  });

  it('lists channels', async () => {
    const res = await cnr.get(seed.path('channels'));
    expect(res.status).toBe(200);
    const channels = res.json<ChannelView[]>();
    expect([...channels].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
      { name: 'dev', current: '1.0.1', releases: ['1.0.1'] },
      { name: 'stable', current: '2.0.1', releases: ['2.0.1', '1.0.1'] },
    ]);
  });

  it('404s listing channels of a package that does not exist', async () => {
    expectError(await cnr.get(packagePath(seed.ns, 'no', 'channels')), 404, 'package-not-found');
  });

  it('creates a channel by adding a release to it (channel "default")', async () => {
    const own = await seedRocketchat();
    expectError(await cnr.get(own.path('channels', 'default')), 404, 'channel-not-found');
    const res = await cnr.post(own.path('channels', 'default', '1.0.1'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'default', current: '1.0.1', releases: ['1.0.1'] });
  });

  it('adds a release to a new channel, which then shows', async () => {
    const own = await seedRocketchat();
    expectError(await cnr.get(own.path('channels', 'newchan')), 404, 'channel-not-found');
    expect((await cnr.post(own.path('channels', 'newchan', '1.0.1'))).status).toBe(200);
    const res = await cnr.get(own.path('channels', 'newchan'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ name: 'newchan', current: '1.0.1', releases: ['1.0.1'] });
  });

  it('404s adding a release that does not exist', async () => {
    expectError(await cnr.post(seed.path('channels', 'default', '1.0.2')), 404, 'package-release-not-found');
    expectError(await cnr.get(seed.path('channels', 'default')), 404, 'channel-not-found');
  });

  it('removes a release from a channel', async () => {
    const own = await seedRocketchat();
    expect((await cnr.get(own.path('channels', 'stable'))).json<ChannelView>().releases).toContain('1.0.1');
    const res = await cnr.delete(own.path('channels', 'stable', '1.0.1'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'deleted', package: own.pkg, name: 'stable', release: '1.0.1' });
    expect((await cnr.get(own.path('channels', 'stable'))).json()).toEqual({
      name: 'stable',
      current: '2.0.1',
      releases: ['2.0.1'],
    });
  });

  it('404s removing a release the channel does not hold', async () => {
    const before = await cnr.get(seed.path('channels', 'stable'));
    expect(before.json<ChannelView>().releases).not.toContain('1.0.2');
    const res = await cnr.delete(seed.path('channels', 'stable', '1.0.2'));
    expectError(res, 404, ['package-release-not-found', 'package-not-found']);
    expect((await cnr.get(seed.path('channels', 'stable'))).json()).toEqual(before.json());
  });

  it('deletes a channel', async () => {
    const own = await seedRocketchat();
    expect((await cnr.get(own.path('1.0.1', 'kpm'))).json<Manifest>().channels).toContain('dev');
    const res = await cnr.delete(own.path('channels', 'dev'));
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ channel: 'dev', package: own.pkg, action: 'delete' });
    expect((await cnr.get(own.path('1.0.1', 'kpm'))).json<Manifest>().channels).not.toContain('dev');
    expectError(await cnr.get(own.path('channels', 'dev')), 404, 'channel-not-found');
  });

  it('404s deleting a channel that does not exist', async () => {
    expectError(await cnr.delete(seed.path('channels', 'no')), 404, 'channel-not-found');
  });
});

describe('the same API at the bare root', () => {
  it('serves the seeded package without the /cnr prefix', async () => {
    expect((await root.get(seed.path('1.0.1', 'kpm'))).json<Manifest>().content.digest).toBe(
      seed.release('1.0.1', 'kpm').digest,
    );
    expect((await root.get(seed.path('channels', 'dev'))).json()).toEqual({
      name: 'dev',
      current: '1.0.1',
      releases: ['1.0.1'],
    });
  });
});
