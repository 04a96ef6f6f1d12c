import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartDirectorySource, chartmuseumStorageSource, exportSource } from './import-sources';
import type { ImportItem } from './release-import';
import { EXPORT_MANIFEST, EXPORT_PACKAGES } from './registry-export';

async function itemsOf(source: { items(): AsyncIterable<ImportItem> }): Promise<ImportItem[]> {
  const items: ImportItem[] = [];
  for await (const item of source.items()) items.push(item);
  return items;
}

describe('import sources, given what is not an archive or a package', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-import-sources-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a .tgz that is not a regular file, or larger than an archive may be, before reading it', async () => {
    mkdirSync(join(dir, 'a-directory.tgz'));
    writeFileSync(join(dir, 'too-large.tgz'), Buffer.alloc(2_000));
    writeFileSync(join(dir, 'fine.tgz'), Buffer.alloc(10));

    const items = await itemsOf(chartDirectorySource(dir, 'ns', 1_000));

    expect(items.map((i) => [i.origin.slice(dir.length + 1), i.kind])).toEqual([
      ['a-directory.tgz', 'unreadable'],
      ['fine.tgz', 'release'],
      ['too-large.tgz', 'unreadable'],
    ]);
  });

  it('reports a chart or .prov that links out of the storage, and reads a link between its repositories', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'wharf-import-outside-'));
    try {
      writeFileSync(join(outside, 'id_rsa'), 'a key');
      for (const repo of ['team-a', 'team-b']) mkdirSync(join(dir, repo));
      writeFileSync(join(dir, 'team-a', 'web-1.0.0.tgz'), 'a');
      symlinkSync(join(outside, 'id_rsa'), join(dir, 'team-a', 'web-1.0.0.tgz.prov'));
      symlinkSync(join(outside, 'id_rsa'), join(dir, 'team-a', 'key-1.0.0.tgz'));
      writeFileSync(join(dir, 'team-a', 'db-1.0.0.tgz'), 'b');
      symlinkSync(join(dir, 'team-a', 'db-1.0.0.tgz'), join(dir, 'team-b', 'db-1.0.0.tgz'));

      const items = await itemsOf(chartmuseumStorageSource(dir, 1, [], 1_000));

      expect(items.map((i) => [i.origin.slice(dir.length + 1), i.kind === 'unreadable' ? i.reason : i.kind])).toEqual([
        ['team-a/db-1.0.0.tgz', 'release'],
        ['team-a/key-1.0.0.tgz', `a link out of the source directory (to ${join(outside, 'id_rsa')})`],
        ['team-a/web-1.0.0.tgz', `a link out of the source directory (to ${join(outside, 'id_rsa')})`],
        ['team-b/db-1.0.0.tgz', 'release'],
      ]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('reports a packages.jsonl line of another shape and goes on with the next', async () => {
    writeFileSync(
      join(dir, EXPORT_MANIFEST),
      JSON.stringify({ format: 'wharf-export', version: 1, namespace: null, packages: 2, releases: 0 }),
    );
    writeFileSync(
      join(dir, EXPORT_PACKAGES),
      ['{"package":"ns/a"}', '42', '{"package":"ns/b","visibility":"public","releases":[]}'].join('\n'),
    );

    const items = await itemsOf(exportSource(dir));

    expect(items).toEqual([
      { kind: 'unreadable', origin: `${EXPORT_PACKAGES}:1`, reason: 'ns/a: no "releases" list' },
      { kind: 'unreadable', origin: `${EXPORT_PACKAGES}:2`, reason: 'not a package: no "package" name' },
    ]);
  });

  it('reads a multitenant ChartMuseum storage (--depth 1) as a namespace per repository, each chart with its .prov', async () => {
    for (const repo of ['team-a', 'team-b']) mkdirSync(join(dir, repo));
    writeFileSync(join(dir, 'index-cache.yaml'), 'apiVersion: v1\n');
    writeFileSync(join(dir, 'team-a', 'web-1.0.0.tgz'), 'a');
    writeFileSync(join(dir, 'team-a', 'web-1.0.0.tgz.prov'), 'signed a');
    writeFileSync(join(dir, 'team-a', 'index-cache.yaml'), 'apiVersion: v1\n');
    writeFileSync(join(dir, 'team-b', 'db-2.0.0.tgz'), 'b');
    utimesSync(
      join(dir, 'team-a', 'web-1.0.0.tgz'),
      new Date('2020-01-01T00:00:00Z'),
      new Date('2020-05-06T07:08:09Z'),
    );

    const all = chartmuseumStorageSource(dir, 1, [], 1_000);
    const items = await itemsOf(all);
    const onlyB = await itemsOf(chartmuseumStorageSource(dir, 1, ['team-b'], 1_000));

    expect(all.total).toBe(2);
    const summary = (i: ImportItem) =>
      i.kind === 'release' ? [i.origin.slice(dir.length + 1), i.namespace, i.provenance?.toString()] : i;
    expect(items.map(summary)).toEqual([
      ['team-a/web-1.0.0.tgz', 'team-a', 'signed a'],
      ['team-b/db-2.0.0.tgz', 'team-b', undefined],
    ]);
    expect(onlyB.map(summary)).toEqual([['team-b/db-2.0.0.tgz', 'team-b', undefined]]);
    // ChartMuseum's `created` is its storage's modification time: kept as the release's.
    expect(items[0]).toMatchObject({ createdAt: '2020-05-06T07:08:09.000Z' });
    expect(await itemsOf(chartDirectorySource(join(dir, 'team-a'), 'ns', 1_000))).not.toContainEqual(
      expect.objectContaining({ createdAt: expect.anything() }),
    );
  });
});
