/**
 * The cnr-server source on a database laid out as cnr-server 0.2's filesystem model writes it
 * (packages.json, each package's releases.json, base64 blobs by appr digest): releases with their
 * media type, metadata and appr digest to check, channels after them; a blob that is missing is
 * reported, and a database that is not one is refused as a whole.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { chartArchive } from '@wharf/testing';
import { cnrServerSource } from './import-cnr';
import { ImportSourceError } from './import-sources';
import type { ImportItem } from './release-import';

const apprDigest = (tgz: Buffer) => createHash('sha256').update(gunzipSync(tgz)).digest('hex');

async function itemsOf(source: { items(): AsyncIterable<ImportItem> }): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of source.items()) items.push(item);
  return items;
}

/** Writes a cnr-server database: `releases` per package, each blob base64 under its appr digest. */
function cnrDatabase(
  dir: string,
  packages: Record<string, { releases: Record<string, { tgz?: Buffer; digest?: string; channels: string[] }> }>,
  channels: Record<string, Record<string, string>>,
): void {
  const prefix = join(dir, 'cnr', 'packages');
  const index: Record<string, Record<string, object>> = {};
  for (const [pkg, { releases }] of Object.entries(packages)) {
    const [ns, name] = pkg.split('/') as [string, string];
    (index[ns] ??= {})[name] = { name, namespace: ns, created_at: '2017-01-01T00:00:00' };
    const digests = join(prefix, ns, name, 'digests', 'sha256');
    mkdirSync(digests, { recursive: true });
    const data = {
      page: 0,
      channels: Object.fromEntries(
        Object.entries(channels[pkg] ?? {}).map(([c, current]) => [c, { name: c, current, package: pkg }]),
      ),
      releases: Object.fromEntries(
        Object.entries(releases).map(([release, r]) => {
          const digest = r.digest ?? apprDigest(r.tgz!);
          if (r.tgz) writeFileSync(join(digests, digest), r.tgz.toString('base64'));
          const manifest = {
            package: pkg,
            release,
            metadata: { note: release },
            created_at: '2017-01-02T03:04:05.678901',
            mediaType: 'application/vnd.cnr.package-manifest.helm.v0.json',
            content: { digest, size: r.tgz?.length ?? 0, mediaType: 'application/vnd.cnr.package.helm.v0.tar+gzip' },
          };
          return [release, { manifests: { helm: manifest }, channels: r.channels }];
        }),
      ),
    };
    writeFileSync(join(prefix, ns, name, 'releases.json'), JSON.stringify(data));
  }
  writeFileSync(join(prefix, 'packages.json'), JSON.stringify({ page: 0, packages: index }));
}

describe('cnrServerSource', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-import-cnr-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each release with its media type, metadata and appr digest, then the channels', async () => {
    const v1 = chartArchive({ name: 'web', version: '1.0.0' });
    const v2 = chartArchive({ name: 'web', version: '1.1.0' });
    cnrDatabase(
      dir,
      {
        'acme/web': {
          releases: {
            '1.0.0': { tgz: v1, channels: ['stable', 'beta'] },
            '1.1.0': { tgz: v2, channels: ['beta'] },
            '2.0.0': { digest: 'f'.repeat(64), channels: [] }, // its blob is gone
          },
        },
        'other/db': { releases: { '0.1.0': { tgz: chartArchive({ name: 'db', version: '0.1.0' }), channels: [] } } },
      },
      { 'acme/web': { stable: '1.0.0', beta: '1.1.0' } },
    );

    const items = await itemsOf(cnrServerSource(dir, ['acme'], 1 << 20));

    expect(items).toEqual([
      {
        kind: 'release',
        origin: 'acme/web@1.0.0 (helm)',
        namespace: 'acme',
        name: 'web',
        release: '1.0.0',
        mediaType: 'helm',
        archive: v1,
        metadata: { note: '1.0.0' },
        expected: { apprDigest: apprDigest(v1) },
        createdAt: '2017-01-02T03:04:05.678Z',
      },
      expect.objectContaining({ kind: 'release', release: '1.1.0', archive: v2 }),
      {
        kind: 'unreadable',
        origin: 'acme/web@2.0.0 (helm)',
        reason: expect.stringContaining('no such file or directory'),
      },
      {
        kind: 'channels',
        origin: 'acme/web',
        package: 'acme/web',
        channels: [
          { name: 'stable', current: '1.0.0', releases: ['1.0.0'] },
          { name: 'beta', current: '1.1.0', releases: ['1.0.0', '1.1.0'] },
        ],
      },
    ]);
    // The prefix directory itself is accepted too, and without a filter every namespace is read.
    const all = await itemsOf(cnrServerSource(join(dir, 'cnr', 'packages'), [], 1 << 20));
    expect(all.filter((i) => i.kind === 'release').map((i) => i.origin)).toEqual([
      'acme/web@1.0.0 (helm)',
      'acme/web@1.1.0 (helm)',
      'other/db@0.1.0 (helm)',
    ]);
  });

  it('reports a blob above the archive limit without decoding it', async () => {
    cnrDatabase(
      dir,
      { 'acme/web': { releases: { '1.0.0': { tgz: Buffer.alloc(3_000, 7), digest: 'a'.repeat(64), channels: [] } } } },
      {},
    );

    const items = await itemsOf(cnrServerSource(dir, [], 1_000));

    expect(items).toEqual([
      {
        kind: 'unreadable',
        origin: 'acme/web@1.0.0 (helm)',
        reason: 'its blob is above the archive limit of 1000 bytes',
      },
    ]);
  });

  it('reports a blob that is a link out of the database, and reads one that links inside it', async () => {
    const tgz = chartArchive({ name: 'web', version: '1.0.0' });
    const digest = apprDigest(tgz);
    cnrDatabase(dir, { 'acme/web': { releases: { '1.0.0': { tgz, channels: [] } } } }, {});
    const blob = join(dir, 'cnr', 'packages', 'acme', 'web', 'digests', 'sha256', digest);
    const outside = mkdtempSync(join(tmpdir(), 'wharf-import-cnr-outside-'));
    try {
      writeFileSync(join(outside, 'secret'), tgz.toString('base64'));
      rmSync(blob);
      symlinkSync(join(outside, 'secret'), blob);
      const refused = await itemsOf(cnrServerSource(dir, [], 1 << 20));
      rmSync(blob);
      writeFileSync(join(dir, 'copy'), tgz.toString('base64'));
      symlinkSync(join(dir, 'copy'), blob); // inside the directory given, outside the prefix
      const inside = await itemsOf(cnrServerSource(join(dir, 'cnr', 'packages'), [], 1 << 20));

      expect(refused).toEqual([
        {
          kind: 'unreadable',
          origin: 'acme/web@1.0.0 (helm)',
          reason: expect.stringMatching(/^a link out of the source directory/),
        },
      ]);
      expect(inside).toEqual([
        {
          kind: 'unreadable',
          origin: 'acme/web@1.0.0 (helm)',
          reason: expect.stringMatching(/^a link out of the source directory/),
        },
      ]);
      rmSync(blob);
      symlinkSync(join(dir, 'cnr', 'packages', 'acme', 'copy'), blob);
      writeFileSync(join(dir, 'cnr', 'packages', 'acme', 'copy'), tgz.toString('base64'));
      expect((await itemsOf(cnrServerSource(dir, [], 1 << 20))).map((i) => i.kind)).toEqual(['release']);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a directory that is not a cnr-server database, or whose packages.json is not JSON', () => {
    expect(() => cnrServerSource(dir, [], 1_000)).toThrow(ImportSourceError);
    mkdirSync(join(dir, 'cnr', 'packages'), { recursive: true });
    writeFileSync(join(dir, 'cnr', 'packages', 'packages.json'), '{not json');
    expect(() => cnrServerSource(dir, [], 1_000)).toThrow(/packages.json: not JSON/);
  });
});
