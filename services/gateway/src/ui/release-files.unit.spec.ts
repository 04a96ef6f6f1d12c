import { loadConfig } from '@wharf/config';
import { ReleaseManifest, sha256HexOf } from '@wharf/domain';
import type { BlobStore } from '@wharf/ports';
import { chartArchive } from '@wharf/testing';
import { ReleaseFiles } from './release-files';

/** A blob store that counts its reads: how many times an archive was opened for a page. */
function blobsOf(archives: Buffer[]) {
  const byDigest = new Map(archives.map((a) => [sha256HexOf(a), a]));
  const reads: string[] = [];
  const blobs = {
    read: async (digest: string) => {
      reads.push(digest);
      const found = byDigest.get(digest);
      if (!found) throw new Error(`no blob ${digest}`);
      return found;
    },
  } as unknown as BlobStore;
  return { blobs, reads };
}

function manifestOf(archive: Buffer): ReleaseManifest {
  return {
    release: '1.0.0',
    mediaType: 'helm',
    apprDigest: 'a'.repeat(64),
    blobDigest: sha256HexOf(archive),
    size: archive.length,
    metadata: null,
    chart: null,
    createdAt: '2026-12-07T08:00:00.000Z',
  };
}

const config = loadConfig({});
const hostile = chartArchive({
  name: 'hostile',
  extraEntries: [{ name: 'hostile/README.md', content: '['.repeat(256 * 1024) }],
});

describe(ReleaseFiles.name, () => {
  it('opens an archive and renders its README once per digest, however many pages show it', async () => {
    const { blobs, reads } = blobsOf([hostile]);
    const files = new ReleaseFiles(blobs, config);
    const first = await files.of(manifestOf(hostile));
    const again = await Promise.all([files.of(manifestOf(hostile)), files.of(manifestOf(hostile))]);
    expect(first.files?.readmeHtml).toBe(`<p>${'['.repeat(256 * 1024)}</p>\n`);
    expect(again.map((r) => r.files?.readmeHtml)).toEqual([first.files?.readmeHtml, first.files?.readmeHtml]);
    expect(reads).toHaveLength(1);
  });

  it('builds a preview once for concurrent first reads of the same archive', async () => {
    const { blobs, reads } = blobsOf([hostile]);
    const files = new ReleaseFiles(blobs, config);
    await Promise.all([files.of(manifestOf(hostile)), files.of(manifestOf(hostile)), files.of(manifestOf(hostile))]);
    expect(reads).toHaveLength(1);
  });

  it('keeps no more than its bound: the least recently shown archive is opened again', async () => {
    const a = chartArchive({ name: 'a', extraEntries: [{ name: 'a/README.md', content: 'x'.repeat(1000) }] });
    const b = chartArchive({ name: 'b', extraEntries: [{ name: 'b/README.md', content: 'y'.repeat(1000) }] });
    const { blobs, reads } = blobsOf([a, b]);
    const files = new ReleaseFiles(blobs, config, { maxEntrySize: 4000, maxTotalSize: 1500 });
    for (const archive of [a, b, b, a]) await files.of(manifestOf(archive));
    expect(reads).toEqual([sha256HexOf(a), sha256HexOf(b), sha256HexOf(a)]);
  });

  it('keeps no preview of an archive it could not read from the store: the next page tries again', async () => {
    const { blobs, reads } = blobsOf([]);
    const files = new ReleaseFiles(blobs, config);
    await expect(files.of(manifestOf(hostile))).rejects.toThrow('no blob');
    await expect(files.of(manifestOf(hostile))).rejects.toThrow('no blob');
    expect(reads).toHaveLength(2);
  });
});
