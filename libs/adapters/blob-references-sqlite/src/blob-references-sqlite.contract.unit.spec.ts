import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobReferenceStoreContract } from '@wharf/testing';
import { SqliteBlobReferenceStore } from './blob-references-sqlite.adapter';

describeBlobReferenceStoreContract('blob-references-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-blob-refs-'));
  return {
    subject: new SqliteBlobReferenceStore({ path: join(dir, 'blob-refs.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
