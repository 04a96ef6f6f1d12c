import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeSearchIndexContract } from '@wharf/testing';
import { SqliteSearchIndex } from './search-sqlite.adapter';

describeSearchIndexContract('search-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-search-'));
  return {
    subject: new SqliteSearchIndex({ path: join(dir, 'search.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
