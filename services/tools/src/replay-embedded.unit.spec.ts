/**
 * Replay on the embedded profile's SQLite files: a history written through the package writer
 * (which keeps the chart index too) and followed by the search and blob-reference projectors; the projections' rows snapshotted,
 * their tables dropped, `replay` run from the same configuration the server reads, and the rows
 * compared one for one. Then a replay of each while the writer keeps writing (on its own
 * connections, as the running server would): nothing is lost.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBlobReferenceStore } from '@wharf/adapters/blob-references-sqlite';
import { SqliteChartIndexStore } from '@wharf/adapters/chart-index-sqlite';
import { SqliteEventLog } from '@wharf/adapters/event-log-sqlite';
import { SqliteMetadataStore } from '@wharf/adapters/metadata-sqlite';
import { SqliteSearchIndex } from '@wharf/adapters/search-sqlite';
import { BlobReferenceProjector } from '@wharf/blob';
import { WharfConfig, loadConfig } from '@wharf/config';
import { chartVersionsOf } from '@wharf/domain';
import { ChartIndexProjection, KeyedMutex, MetadataProjector, PackageProjection, PackageWriter } from '@wharf/metadata';
import { SearchProjector } from '@wharf/search';
import { eventually } from '@wharf/testing';
import { replayProjection } from './projection-replay';
import { PROJECTIONS, ProjectionName, openReplay } from './replay-targets';
import { writeHistory } from './replay-scenario.test-support';

/** What each projection's tables hold, row for row (search rows without their rowid, which is an insertion detail). */
const SNAPSHOTS: Record<ProjectionName, { file: string; tables: string[]; queries: string[] }> = {
  metadata: {
    file: 'metadata.db',
    tables: ['package_heads', 'package_rows'],
    queries: [
      'SELECT * FROM package_heads ORDER BY package',
      'SELECT * FROM package_rows ORDER BY package, release, media_type',
    ],
  },
  search: {
    file: 'search.db',
    tables: ['search_docs', 'search_fts'],
    queries: [
      'SELECT package, namespace, name, sequence, active, visibility, media_types, doc FROM search_docs ORDER BY package',
      'SELECT d.package, f.name, f.namespace, f.keywords, f.description FROM search_fts f JOIN search_docs d ON d.id = f.rowid ORDER BY d.package',
    ],
  },
  'blob-refs': {
    file: 'blob-refs.db',
    tables: ['blob_references', 'applied_sequences'],
    queries: ['SELECT * FROM blob_references ORDER BY digest', 'SELECT * FROM applied_sequences ORDER BY package'],
  },
  // The revision counters are not compared: a rebuild raises them above the live ones.
  charts: {
    file: 'charts.db',
    tables: ['chart_heads', 'chart_rows', 'chart_namespaces'],
    queries: [
      'SELECT * FROM chart_heads ORDER BY package',
      'SELECT * FROM chart_rows ORDER BY package, version',
      'SELECT namespace FROM chart_namespaces ORDER BY namespace',
    ],
  },
};

const byNameAndVersion = (a: { name: string; version: string }, b: { name: string; version: string }) =>
  `${a.name}@${a.version}` < `${b.name}@${b.version}` ? -1 : 1;

describe('replay (embedded profile, SQLite)', () => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let config: WharfConfig;
  let log: SqliteEventLog;
  let store: SqliteMetadataStore;
  let index: SqliteSearchIndex;
  let references: SqliteBlobReferenceStore;
  let charts: SqliteChartIndexStore;
  let projectors: { lag(): Promise<number>; onApplicationShutdown(): Promise<void> }[];
  let writer: PackageWriter;

  function startServer() {
    const file = (name: string) => join(dataDir, name);
    log = new SqliteEventLog({ path: file('events.db'), synchronous: 'normal', pollIntervalMs: 20, retryDelayMs: 20 });
    store = new SqliteMetadataStore({ path: file('metadata.db') });
    index = new SqliteSearchIndex({ path: file('search.db') });
    references = new SqliteBlobReferenceStore({ path: file('blob-refs.db') });
    charts = new SqliteChartIndexStore({ path: file('charts.db') });
    const locks = new KeyedMutex();
    const projection = new PackageProjection(store, new ChartIndexProjection(charts));
    const metadata = new MetadataProjector(log, projection, locks);
    writer = new PackageWriter(log, store, projection, metadata, locks);
    const search = new SearchProjector(log, index);
    const blobs = new BlobReferenceProjector(log, references);
    projectors = [metadata, search, blobs];
    return Promise.all([metadata.start(), search.start(), blobs.start()]);
  }

  async function stopServer() {
    for (const projector of projectors) await projector.onApplicationShutdown();
    await log.close();
    await Promise.all([store.close(), index.close(), references.close(), charts.close()]);
  }

  const caughtUp = () =>
    eventually(async () => expect(await Promise.all(projectors.map((p) => p.lag()))).toEqual([0, 0, 0]), 20_000);

  function snapshot(name: ProjectionName): unknown[][] {
    const db = new Database(join(dataDir, SNAPSHOTS[name].file), { readonly: true });
    try {
      return SNAPSHOTS[name].queries.map((sql) => db.prepare(sql).all());
    } finally {
      db.close();
    }
  }

  function dropTables(name: ProjectionName) {
    const db = new Database(join(dataDir, SNAPSHOTS[name].file));
    try {
      for (const table of SNAPSHOTS[name].tables) db.exec(`DROP TABLE ${table}`);
    } finally {
      db.close();
    }
  }

  async function replay(name: ProjectionName) {
    const setup = await openReplay(config, name);
    try {
      return await replayProjection(setup.log, setup.projection, { pollMs: 10 });
    } finally {
      await setup.close();
    }
  }

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-replay-'));
    config = loadConfig({ WHARF_DATA_DIR: dataDir, WHARF_SQLITE_SYNCHRONOUS: 'normal' });
    await startServer();
  });

  afterEach(async () => {
    await stopServer();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('should rebuild every projection from the log, row for row, after its tables were dropped', async () => {
    const packages = Array.from({ length: 40 }, (_, i) => `ns${i % 3}/app${i}`);
    await writeHistory(writer, packages);
    await caughtUp();
    const before = Object.fromEntries(PROJECTIONS.map((name) => [name, snapshot(name)]));
    expect(before.metadata[0]).toHaveLength(40);
    expect(before.charts[0]).toHaveLength(40);
    await stopServer();

    for (const name of PROJECTIONS) dropTables(name);
    const events = (await openReplay(config, 'metadata').then(async (s) => [await s.log.count(), await s.close()]))[0];
    const started = Date.now();
    for (const name of PROJECTIONS) {
      const report = await replay(name);
      expect(report).toMatchObject({ projection: name, rebuilt: events, tail: 0 });
      expect(snapshot(name)).toEqual(before[name]);
    }
    expect(readdirSync(dataDir).filter((f) => f.startsWith('replay-'))).toEqual([]);
    process.stderr.write(
      `[replay] embedded: ${events} events into ${PROJECTIONS.length} projections in ${Date.now() - started} ms\n`,
    );
    await startServer();
  });

  it('should lose nothing written while it runs, while the server keeps its own connections open', async () => {
    await writeHistory(
      writer,
      Array.from({ length: 10 }, (_, i) => `ns/before${i}`),
    );
    const writing = writeHistory(
      writer,
      Array.from({ length: 10 }, (_, i) => `ns/during${i}`),
      2,
    );
    const revisionBefore = await charts.revision('ns');
    for (const name of PROJECTIONS) await replay(name);
    const views = await writing;
    const after = await writeHistory(writer, ['ns/after']);
    await caughtUp();

    for (const [pkg, view] of [...views, ...after]) expect(await store.get(pkg)).toEqual(view);
    const docs = await index.getMany([...views.keys(), 'ns/after']);
    for (const [pkg, view] of [...views, ...after]) expect(docs.get(pkg)?.sequence).toBe(view.sequence);
    expect(await index.search({ text: 'during3', limit: 5 })).toEqual(['ns/during3']);
    // The chart index agrees with the views, which were checked above.
    const chartVersions = (await charts.read('ns')).versions.sort(byNameAndVersion);
    const listed = await store.list({ namespace: 'ns', limit: 100 });
    const wanted = (await Promise.all(listed.map((summary) => store.get(summary.package))))
      .flatMap((view) => chartVersionsOf(view!).versions.map((v) => ({ ...v, visibility: view!.visibility })))
      .sort(byNameAndVersion);
    expect(chartVersions).toEqual(wanted);
    expect(chartVersions.length).toBeGreaterThan(0);
    expect(await charts.revision('ns')).not.toBe(revisionBefore);
    // The counts a from-scratch fold gives: replaying once more changes nothing.
    const counts = snapshot('blob-refs');
    await replay('blob-refs');
    expect(snapshot('blob-refs')).toEqual(counts);
  });
});
