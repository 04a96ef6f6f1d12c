import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAccountStoreContract } from '@wharf/testing';
import { SqliteAccountStore } from './account-store-sqlite.adapter';

describeAccountStoreContract('account-store-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-accounts-'));
  return {
    subject: new SqliteAccountStore({ path: join(dir, 'accounts.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
