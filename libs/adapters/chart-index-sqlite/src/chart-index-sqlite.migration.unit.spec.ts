/**
 * A `charts.db` written by the layout before rows (one `chart_packages` row per package, its
 * versions as one JSON array; the schema and statements below are that adapter's) is rewritten
 * as heads and rows when the store opens, and reads the same.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackageChartVersions, emptyPackageView } from '@wharf/domain';
import { chartChangesAfter, packageCharts, releaseDeleted, releasePublished } from '@wharf/testing';
import { SqliteChartIndexStore } from './chart-index-sqlite.adapter';

const BEFORE_ROWS_SCHEMA = `
  CREATE TABLE IF NOT EXISTS chart_packages (
    package    TEXT PRIMARY KEY,
    namespace  TEXT NOT NULL,
    sequence   INTEGER NOT NULL,
    visibility TEXT NOT NULL,
    versions   TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS chart_namespaces (
    namespace TEXT PRIMARY KEY,
    revision  INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS chart_packages_by_namespace ON chart_packages (namespace);`;

function writeBeforeRows(path: string, states: PackageChartVersions[]): void {
  const db = new Database(path);
  db.exec(BEFORE_ROWS_SCHEMA);
  for (const charts of states) {
    db.prepare(
      `INSERT INTO chart_packages (package, namespace, sequence, visibility, versions) VALUES (@package, @namespace, @sequence, @visibility, @versions)
       ON CONFLICT (package) DO UPDATE SET sequence = excluded.sequence, visibility = excluded.visibility, versions = excluded.versions`,
    ).run({ ...charts, versions: JSON.stringify(charts.versions) });
    db.prepare(
      `INSERT INTO chart_namespaces (namespace, revision) VALUES (?, 1)
       ON CONFLICT (namespace) DO UPDATE SET revision = revision + 1`,
    ).run(charts.namespace);
  }
  db.close();
}

describe('SqliteChartIndexStore: migration from the layout before rows', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-charts-migrate-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should rewrite a store of per-package documents as heads and rows on open, reading the same versions under a new revision, and go on from there', async () => {
    const path = join(dir, 'charts.db');
    const app = [
      releasePublished({ release: '1.0.0' }),
      releasePublished({ release: '2.0.0' }),
      releaseDeleted('1.0.0'),
    ];
    const states = [
      packageCharts('acme/app', app),
      packageCharts('acme/secret', [releasePublished({ release: '0.1.0', visibility: 'private' })]),
      packageCharts('other/tool', [releasePublished({ release: '3.0.0' })]),
    ];
    writeBeforeRows(path, states);
    const expected = (ns: string) =>
      states
        .filter((s) => s.namespace === ns)
        .flatMap((s) => s.versions.map((v) => ({ ...v, visibility: s.visibility })))
        .sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));

    const store = new SqliteChartIndexStore({ path });
    try {
      const read = await store.read('acme');
      expect(
        [...read.versions].sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`)),
      ).toEqual(expected('acme'));
      expect(read.revision).not.toBe('2');
      expect((await store.read('other')).versions).toEqual(expected('other'));
      // The package goes on from its migrated sequence, by changes.
      let view = emptyPackageView('acme/app');
      view = chartChangesAfter(view, app).view;
      expect(await store.applyChanges(chartChangesAfter(view, [releasePublished({ release: '4.0.0' })]).changes)).toBe(
        'applied',
      );
      expect((await store.read('acme')).versions.map((v) => `${v.name}@${v.version}`).sort()).toEqual([
        'app@2.0.0',
        'app@4.0.0',
        'secret@0.1.0',
      ]);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name LIKE 'chart_packages%'`).all()).toEqual([]);
    db.close();
    // Opening the migrated store again changes nothing.
    const again = new SqliteChartIndexStore({ path });
    expect((await again.read('other')).versions).toEqual(expected('other'));
    await again.close();
  });
});
