import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBlobStoreContract } from '@wharf/testing';
import { FsBlobStore } from './blob-fs.adapter';

describeBlobStoreContract('blob-fs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'wharf-blobs-'));
  return {
    subject: new FsBlobStore(root),
    strayUploads: () => fs.readdir(join(root, 'uploads')).catch(() => []),
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});
