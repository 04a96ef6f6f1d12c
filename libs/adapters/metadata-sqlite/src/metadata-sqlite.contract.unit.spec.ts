import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeMetadataStoreContract } from '@wharf/testing';
import { SqliteMetadataStore } from './metadata-sqlite.adapter';

describeMetadataStoreContract('metadata-sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-metadata-'));
  return {
    subject: new SqliteMetadataStore({ path: join(dir, 'metadata.db') }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
