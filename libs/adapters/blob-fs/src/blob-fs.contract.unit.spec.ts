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

describe('FsBlobStore.sweepUploads', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-blobs-sweep-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function upload(name: string, writtenAt: Date): Promise<void> {
    await fs.mkdir(join(root, 'uploads'), { recursive: true });
    await fs.writeFile(join(root, 'uploads', name), 'partial');
    await fs.utimes(join(root, 'uploads', name), writtenAt, writtenAt);
  }

  it('should delete the uploads a crash left older than the grace, and keep newer ones and the blobs', async () => {
    const store = new FsBlobStore(root);
    const stored = await store.put(Buffer.from('a blob'));
    const now = Date.now();
    await upload('crashed-long-ago', new Date(now - 2 * 3600_000));
    await upload('in-progress', new Date(now - 60_000));

    expect(await store.sweepUploads(new Date(now - 3600_000))).toBe(1);
    expect(await fs.readdir(join(root, 'uploads'))).toEqual(['in-progress']);
    expect((await store.read(stored.digest)).toString()).toBe('a blob');
  });

  it('should be a no-op when there is no uploads directory', async () => {
    expect(await new FsBlobStore(root).sweepUploads(new Date())).toBe(0);
  });
});
