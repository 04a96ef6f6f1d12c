import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { ChartIndexProjection, KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import type { BlobStore } from '@wharf/ports';
import { SearchProjector } from '@wharf/search';
import { eventually, packageView, releasePublished, searchRow } from '@wharf/testing';
import { humanReport } from './cli/maintenance-actions';
import { LiveStores, canonicalJson, digestDrift, rowDrift, verifyRegistry } from './registry-verify';
import { writeHistory } from './replay-scenario.test-support';

describe('verify', () => {
  it('should compare states whatever the order of their keys, and only their content', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [2, { e: 0, f: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 1, b: 2 }));
  });

  it('should say OK, or list every problem, to a reader at a terminal', () => {
    const base = { events: 12, packages: 2, namespaces: 1, blobsChecked: 3, seconds: 0.25 };
    expect(humanReport({ ...base, ok: true, problems: [] })).toBe(
      'verify: OK: 12 events, 2 packages in 1 namespaces, 3 blobs read, 0.3 s\n',
    );
    const problems = [
      { check: 'blobs' as const, subject: 'abc ns/a@1.0.0 (helm)', problem: 'missing from the blob store' },
      { check: 'search' as const, subject: 'ns/b', problem: 'missing from the store' },
    ];
    expect(humanReport({ ...base, ok: false, problems }).split('\n')).toEqual([
      'verify: 2 PROBLEMS: 12 events, 2 packages in 1 namespaces, 3 blobs read, 0.3 s',
      '  blobs    abc ns/a@1.0.0 (helm): missing from the blob store',
      '  search   ns/b: missing from the store',
      '',
    ]);
  });
});

describe('verify of the search rows (embedded profile, SQLite)', () => {
  jest.setTimeout(30_000);
  let dataDir: string;
  let log: SqliteEventLog;
  let live: LiveStores;
  let projectors: { lag(): Promise<number>; onApplicationShutdown(): Promise<void> }[];
  const packages = ['ns/alpha', 'ns/beta', 'ns/gamma', 'other/delta'];

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-verify-'));
    const file = (name: string) => join(dataDir, name);
    log = new SqliteEventLog({ path: file('events.db'), synchronous: 'normal', pollIntervalMs: 10, retryDelayMs: 10 });
    const store = new SqliteMetadataStore({ path: file('metadata.db') });
    const charts = new SqliteChartIndexStore({ path: file('charts.db') });
    const search = new SqliteSearchIndex({ path: file('search.db') });
    const locks = new KeyedMutex();
    const projection = new PackageProjection(store, new ChartIndexProjection(charts));
    const metadata = new MetadataProjector(log, projection, locks);
    const searchProjector = new SearchProjector(log, search);
    projectors = [metadata, searchProjector];
    await Promise.all([metadata.start(), searchProjector.start()]);
    await writeHistory(new PackageWriter(log, store, projection, metadata, locks), packages);
    await eventually(async () => expect(await Promise.all(projectors.map((p) => p.lag()))).toEqual([0, 0]), 20_000);
    // Blobs are not read (skipBlobs): the history's releases have none.
    live = { log, metadata: store, search, charts, blobs: {} as BlobStore };
  });

  afterEach(async () => {
    for (const projector of projectors) await projector.onApplicationShutdown();
    await log.close();
    await Promise.all([live.metadata.close(), live.search.close(), live.charts.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function verify() {
    const scratchDir = mkdtempSync(join(dataDir, 'scratch-'));
    return verifyRegistry(live, { scratchDir, skipBlobs: true, pollMs: 10 });
  }

  /** Changes the live search index's rows behind the projector's back. */
  function tamper(sql: string) {
    const db = new Database(join(dataDir, 'search.db'));
    try {
      expect(db.prepare(sql).run().changes).toBe(1);
    } finally {
      db.close();
    }
  }

  it('should report a row missing, extra or different, with its package, and nothing else', async () => {
    expect((await verify()).problems).toEqual([]);

    tamper(`DELETE FROM search_rows WHERE package = 'ns/alpha' AND release = '1.1.0' AND media_type = 'kpm'`);
    tamper(
      `UPDATE search_rows SET created_at = '2020-01-01T00:00:00.000Z' WHERE package = 'ns/beta' AND release = '1.2.0'`,
    );
    tamper(
      `INSERT INTO search_rows (package, media_type, release, sequence, created_at, release_key, chart)
       SELECT package, media_type, '9.9.9', sequence, created_at, release_key, chart FROM search_rows
       WHERE package = 'other/delta' AND release = '1.2.0'`,
    );
    const report = await verify();

    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { check: 'search', subject: 'ns/alpha', problem: 'row 1.1.0 (kpm) missing from the store' },
      {
        check: 'search',
        subject: 'ns/beta',
        problem: expect.stringMatching(
          /^row 1\.2\.0 \(helm\) differs from the log \(store at sequence \d+, log at \d+\)$/,
        ),
      },
      { check: 'search', subject: 'other/delta', problem: 'row 9.9.9 (helm) in the store, not in the log' },
    ]);
  });
});

describe('search row drift', () => {
  const rows = (...releases: string[]) => releases.map((release) => searchRow(release));

  it('should name each row that differs, and sum up beyond five', () => {
    expect(rowDrift(rows('1.0.0', '2.0.0'), rows('1.0.0', '2.0.0'))).toEqual([]);
    expect(rowDrift(rows('1.0.0'), [])).toEqual(['row 1.0.0 (helm) missing from the store']);
    expect(rowDrift(rows(), rows('1.0.0'))).toEqual(['row 1.0.0 (helm) in the store, not in the log']);
    expect(rowDrift(rows('1.0.0', '2.0.0', '3.0.0', '4.0.0', '5.0.0', '6.0.0', '7.0.0'), [])).toEqual([
      'row 1.0.0 (helm) missing from the store',
      'row 2.0.0 (helm) missing from the store',
      'row 3.0.0 (helm) missing from the store',
      'row 4.0.0 (helm) missing from the store',
      'and 3 more rows differ (of 7 by the log, 0 in the store)',
    ]);
  });
});

describe('helm manifest digest drift', () => {
  it('should name each helm release the store does not find by its manifest digest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-verify-digests-'));
    const path = join(dir, 'metadata.db');
    const view = packageView('ns/app', [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '2.0.0' }),
      releasePublished({ release: '2.0.0', mediaType: 'kpm' }),
    ]);
    try {
      const writer = new SqliteMetadataStore({ path });
      expect(await writer.put(view, 0)).toBe(true);
      await writer.close();
      const store = new SqliteMetadataStore({ path, viewCacheBytes: 0 });
      expect(await digestDrift(store, view)).toEqual([]);
      const db = new Database(path);
      expect(db.prepare(`DELETE FROM package_digests WHERE release = '2.0.0'`).run().changes).toBe(1);
      db.close();
      expect(await digestDrift(store, view)).toEqual([
        expect.stringMatching(/^release 2\.0\.0 \(helm\) is not found by its manifest digest sha256:[0-9a-f]{64}$/),
      ]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
