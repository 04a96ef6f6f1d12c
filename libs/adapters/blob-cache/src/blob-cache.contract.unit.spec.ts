import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wharf/adapters/blob-fs';
import { describeBlobStoreContract } from '@wharf/testing';
import { BlobCacheLimits, CachingBlobStore } from './blob-cache.adapter';

/** The cache in front of blob-fs must keep the port's contract whatever it keeps in memory. */
function overBlobFs(limits: BlobCacheLimits) {
  return async () => {
    const root = mkdtempSync(join(tmpdir(), 'wharf-blob-cache-'));
    return {
      subject: new CachingBlobStore(new FsBlobStore(root), limits),
      strayUploads: () => fs.readdir(join(root, 'uploads')).catch(() => []),
      cleanup: async () => rmSync(root, { recursive: true, force: true }),
    };
  };
}

describeBlobStoreContract(
  'blob-cache over blob-fs, the defaults (64 MiB, 1 MiB a blob)',
  overBlobFs({ maxBytes: 64 * 1024 * 1024, maxBlobBytes: 1024 * 1024 }),
);
describeBlobStoreContract(
  'blob-cache over blob-fs, room for one small blob (evicting all the time)',
  overBlobFs({ maxBytes: 5000, maxBlobBytes: 5000 }),
);
describeBlobStoreContract('blob-cache over blob-fs, keeping nothing', overBlobFs({ maxBytes: 0, maxBlobBytes: 0 }));
