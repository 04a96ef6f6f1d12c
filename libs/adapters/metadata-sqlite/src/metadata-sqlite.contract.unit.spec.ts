import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  PackageView,
  headFieldsOf,
  helmManifestDigestOf,
  mediaTypesOf,
  packageExists,
  packageHead,
  summarizePackage,
} from '@wharf/domain';
import {
  describeMetadataStoreContract,
  packageView,
  packageViewAfter,
  releaseDeleted,
  releasePublished,
} from '@wharf/testing';
import { SqliteMetadataStore, SqliteMetadataStoreOptions } from './metadata-sqlite.adapter';

describeMetadataStoreContract('metadata-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-'));
  return {
    subject: new SqliteMetadataStore({ path: join(dir, 'metadata.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

// Without its caches, so every answer comes from the tables (the caches answer most reads above).
describeMetadataStoreContract('metadata-sqlite, caches off', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-'));
  return {
    subject: new SqliteMetadataStore({ path: join(dir, 'metadata.db'), viewCacheBytes: 0 }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('metadata-sqlite view cache', () => {
  let dir: string;
  const stores: SqliteMetadataStore[] = [];
  const open = (options: Partial<SqliteMetadataStoreOptions> = {}) => {
    const store = new SqliteMetadataStore({ path: join(dir, 'metadata.db'), ...options });
    stores.push(store);
    return store;
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-cache-'))));
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const first = packageView('ns/app', [releasePublished({ release: '1.0.0' })]);
  const second = packageView('ns/app', [
    releasePublished({ release: '1.0.0' }),
    releasePublished({ release: '2.0.0' }),
  ]);

  it('should read what another connection to the same file wrote after this one cached the view', async () => {
    const server = open();
    const replayTool = open();
    expect(await server.put(first, 0)).toBe(true);
    expect(await server.get('ns/app')).toEqual(first);

    expect(await replayTool.put(second, first.sequence)).toBe(true);

    expect(await server.get('ns/app')).toEqual(second);
    expect(await server.put(second, first.sequence)).toBe(false);
  });

  it('should read a head and release another connection wrote after this one cached the head', async () => {
    const server = open();
    const replayTool = open();
    expect(await server.put(first, 0)).toBe(true);
    expect(await server.getHead('ns/app')).toEqual(packageHead(first));

    expect(await replayTool.put(second, first.sequence)).toBe(true);

    expect(await server.getHead('ns/app')).toEqual(packageHead(second));
    expect(await server.getRelease('ns/app', '2.0.0', 'helm')).toEqual({
      head: packageHead(second),
      manifest: second.manifests[1],
    });
  });

  it('should forget a view whose compare-and-set failed, and read the stored one', async () => {
    const server = open();
    const other = open();
    expect(await server.put(first, 0)).toBe(true);
    expect(await other.put(second, first.sequence)).toBe(true);

    expect(await server.put(first, 0)).toBe(false);

    expect(await server.get('ns/app')).toEqual(second);
  });

  it('should write only the rows a put names in its changes, as another connection reads them', async () => {
    const server = open();
    expect(await server.put(first, 0)).toBe(true);
    const next = packageViewAfter(first, [releasePublished({ release: '2.0.0' })]);
    // A view whose 1.0.0 differs from the stored one, which the changes do not name.
    const altered = {
      ...next.view,
      manifests: next.view.manifests.map((m) => (m.release === '1.0.0' ? { ...m, metadata: 'not stored' } : m)),
    };

    expect(await server.put(altered, first.sequence, next.changes)).toBe(true);

    const reader = open({ viewCacheBytes: 0 });
    expect((await reader.getRelease('ns/app', '1.0.0', 'helm'))?.manifest).toEqual(first.manifests[0]);
    expect((await reader.getRelease('ns/app', '2.0.0', 'helm'))?.manifest).toEqual(next.view.manifests[1]);
  });

  it('should answer the same with the cache off and with a cache too small for any view', async () => {
    for (const viewCacheBytes of [0, 16]) {
      const store = open({ viewCacheBytes, path: join(dir, `cache-${viewCacheBytes}.db`) });
      expect(await store.put(first, 0)).toBe(true);
      expect(await store.put(second, first.sequence)).toBe(true);
      expect(await store.get('ns/app')).toEqual(second);
    }
  });
});

describe('metadata-sqlite migration from one view per package', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-migrate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file as the store before rows wrote it (its schema and statements, verbatim). */
  function writeLegacyFile(path: string, views: PackageView[]): void {
    const db = new Database(path);
    db.exec(`
      CREATE TABLE IF NOT EXISTS packages (
        package     TEXT PRIMARY KEY,
        namespace   TEXT NOT NULL,
        sequence    INTEGER NOT NULL,
        active      INTEGER NOT NULL,
        visibility  TEXT NOT NULL,
        media_types TEXT NOT NULL,
        view        TEXT NOT NULL,
        summary     TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS packages_by_namespace ON packages (namespace, package) WHERE active = 1;`);
    const insert = db.prepare(
      `INSERT INTO packages (package, namespace, sequence, active, visibility, media_types, view, summary)
         VALUES (@package, @namespace, @sequence, @active, @visibility, @media_types, @view, @summary)`,
    );
    for (const view of views)
      insert.run({
        package: view.package,
        namespace: view.namespace,
        sequence: view.sequence,
        active: packageExists(view) ? 1 : 0,
        visibility: view.visibility,
        media_types: ',' + mediaTypesOf(view).join(',') + ',',
        view: JSON.stringify(view),
        summary: JSON.stringify(summarizePackage(view)),
      });
    db.close();
  }

  it('should turn each stored view into its head and rows when it opens, and go on from there', async () => {
    const path = join(dir, 'metadata.db');
    const app = packageView('ns/app', [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '2.0.0', mediaType: 'kpm' }),
      releasePublished({ release: '1.0.0', metadata: { forced: true } }),
      { type: 'ReleaseAddedToChannel', data: { channel: 'stable', release: '2.0.0' } },
    ]);
    const gone = packageView('ns/gone', [releasePublished(), releaseDeleted()]);
    writeLegacyFile(path, [app, gone]);

    const store = new SqliteMetadataStore({ path });
    try {
      expect(await store.get('ns/app')).toEqual(app);
      expect(await store.get('ns/gone')).toEqual(gone);
      expect(await store.getHead('ns/app')).toEqual(packageHead(app));
      expect((await store.getRelease('ns/app', '1.0.0', 'helm'))?.manifest).toEqual(app.manifests[1]);
      const digest = helmManifestDigestOf(app.manifests[1]!)!;
      expect((await store.getRelease('ns/app', { helmManifestDigest: digest }, 'helm'))?.manifest).toEqual(
        app.manifests[1],
      );
      expect(await store.list({ namespace: 'ns', limit: 10 })).toEqual([summarizePackage(app)]);
      expect(await store.count()).toBe(1);
      const next = packageViewAfter(app, [releasePublished({ release: '3.0.0' })]);
      expect(await store.put(next.view, app.sequence, next.changes)).toBe(true);
      const reader = new SqliteMetadataStore({ path, viewCacheBytes: 0 });
      expect(await reader.get('ns/app')).toEqual(next.view);
      await reader.close();
    } finally {
      await store.close();
    }
    const db = new Database(path);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'packages%'`).all()).toEqual([]);
    db.close();
  });

  it('should let the stored view replace what the new tables hold of a package (an upgrade after a downgrade)', async () => {
    const path = join(dir, 'metadata.db');
    const later = packageView('ns/app', [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '9.9.9' }),
    ]);
    const newer = new SqliteMetadataStore({ path });
    expect(await newer.put(later, 0)).toBe(true);
    await newer.close();
    const app = packageView('ns/app', [releasePublished({ release: '1.0.0' })]);
    writeLegacyFile(path, [app]);

    const store = new SqliteMetadataStore({ path, viewCacheBytes: 0 });
    try {
      expect(await store.get('ns/app')).toEqual(app);
      expect((await store.getRelease('ns/app', '9.9.9', 'helm'))?.manifest ?? null).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('metadata-sqlite migration of helm manifest digests out of the heads', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-digests-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const indexOf = (view: PackageView) =>
    view.manifests
      .filter((m) => m.mediaType === 'helm')
      .map((m) => ({ digest: helmManifestDigestOf(m)!, release: m.release }))
      .sort((a, b) => (a.digest < b.digest ? -1 : 1));

  it('should find each helm release by digest in a file whose heads held the index (or none), and store its heads without it', async () => {
    const path = join(dir, 'metadata.db');
    const app = packageView('ns/app', [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '2.0.0' }),
      releasePublished({ release: '2.0.0', mediaType: 'kpm' }),
    ]);
    const older = packageView('ns/older', [releasePublished({ release: '1.0.0' })]);
    const writer = new SqliteMetadataStore({ path });
    expect(await writer.put(app, 0)).toBe(true);
    expect(await writer.put(older, 0)).toBe(true);
    await writer.close();
    // As the release before this layout left the file: the index in the head (or, older still, none), no table.
    const db = new Database(path);
    db.exec('DROP TABLE package_digests');
    const rewrite = db.prepare('UPDATE package_heads SET head = ? WHERE package = ?');
    rewrite.run(JSON.stringify({ ...headFieldsOf(app), helmManifestDigests: indexOf(app) }), app.package);
    rewrite.run(JSON.stringify(headFieldsOf(older)), older.package);
    db.close();

    const store = new SqliteMetadataStore({ path, viewCacheBytes: 0 });
    try {
      for (const view of [app, older]) {
        expect(await store.get(view.package)).toEqual(view);
        expect(await store.getHead(view.package)).toEqual(packageHead(view));
        for (const { digest, release } of indexOf(view))
          expect(await store.getRelease(view.package, { helmManifestDigest: digest }, 'helm')).toEqual({
            head: packageHead(view),
            manifest: view.manifests.find((m) => m.release === release && m.mediaType === 'helm'),
          });
      }
    } finally {
      await store.close();
    }
    const after = new Database(path);
    const heads = after.prepare('SELECT head FROM package_heads').pluck().all() as string[];
    expect(heads.filter((h) => h.includes('helmManifestDigests'))).toEqual([]);
    after.close();
  });

  it('should migrate the digests at the next open when an open failed between making their table and filling it', async () => {
    const path = join(dir, 'metadata.db');
    const app = packageView('ns/app', [releasePublished({ release: '1.0.0' }), releasePublished({ release: '2.0.0' })]);
    const writer = new SqliteMetadataStore({ path });
    expect(await writer.put(app, 0)).toBe(true);
    await writer.close();
    const db = new Database(path);
    db.exec('DROP TABLE package_digests');
    db.prepare('UPDATE package_heads SET head = ? WHERE package = ?').run(
      JSON.stringify({ ...headFieldsOf(app), helmManifestDigests: indexOf(app) }),
      app.package,
    );
    db.close();

    // The first open fails while filling the table (a crash, a concurrent writer's SQLITE_BUSY).
    const fill = jest
      .spyOn(
        SqliteMetadataStore.prototype as unknown as { migrateDigestsOutOfHeads: () => void },
        'migrateDigestsOutOfHeads',
      )
      .mockImplementationOnce(() => {
        throw new Error('interrupted');
      });
    try {
      expect(() => new SqliteMetadataStore({ path })).toThrow('interrupted');
    } finally {
      fill.mockRestore();
    }
    const store = new SqliteMetadataStore({ path, viewCacheBytes: 0 });
    try {
      for (const { digest, release } of indexOf(app))
        expect((await store.getRelease(app.package, { helmManifestDigest: digest }, 'helm'))?.manifest).toEqual(
          app.manifests.find((m) => m.release === release && m.mediaType === 'helm'),
        );
    } finally {
      await store.close();
    }
  });
});
