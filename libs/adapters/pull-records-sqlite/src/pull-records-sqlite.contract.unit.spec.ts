import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describePullRecordsContract } from '@wharf/testing';
import { SqlitePullRecordStore } from './pull-records-sqlite.adapter';

describePullRecordsContract('pull-records-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-pulls-'));
  return {
    subject: new SqlitePullRecordStore({ path: join(dir, 'pulls.db') }),
    reopen: async () => new SqlitePullRecordStore({ path: join(dir, 'pulls.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
