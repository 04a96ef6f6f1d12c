import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMetadataStoreContract, packageView, releasePublished } from '@wharf/testing';
import { SqliteMetadataStore, SqliteMetadataStoreOptions } from './metadata-sqlite.adapter';

describeMetadataStoreContract('metadata-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-'));
  return {
    subject: new SqliteMetadataStore({ path: join(dir, 'metadata.db') }),
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

  it('should forget a view whose compare-and-set failed, and read the stored one', async () => {
    const server = open();
    const other = open();
    expect(await server.put(first, 0)).toBe(true);
    expect(await other.put(second, first.sequence)).toBe(true);

    expect(await server.put(first, 0)).toBe(false);

    expect(await server.get('ns/app')).toEqual(second);
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
