import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DependencyUnavailableError, isOutage } from '@wharf/ports';
import { packageView, releasePublished } from '@wharf/testing';
import { SqliteMetadataStore } from './metadata-sqlite.adapter';

describe('SqliteMetadataStore, when its file stays locked by another process', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-outage-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("rejects with the ports' DependencyUnavailableError once the busy timeout runs out, SQLITE_BUSY as its cause", async () => {
    const path = join(dir, 'metadata.db');
    const store = new SqliteMetadataStore({ path });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    try {
      const error = await store.put(packageView('ns/app', [releasePublished()]), 0).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(DependencyUnavailableError);
      expect(error).toMatchObject({ dependency: 'SQLite', cause: { code: 'SQLITE_BUSY' } });
      expect(isOutage(error)).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      await store.close();
    }
  }, 20_000);
});
