import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import { loadConfig } from '@wharf/config';
import { Readable } from 'node:stream';
import { ManifestUnknownError, OPEN_CALLER, PackageView, RangeNotSatisfiableError, ociDigestOf } from '@wharf/domain';
import { BlobStore, PackageReader, UploadSessionStore } from '@wharf/ports';
import { addedToChannel, packageReaderOf, packageView, releasePublished } from '@wharf/testing';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { ArchiveReads } from '../read-package/archive-reads';
import { ReadablePackages } from '../read-package/readable-packages';
import { PullRecorder } from '../retention/pull-recorder';
import { artifactOf } from './oci-artifacts';
import { OciReadsUseCases } from './oci-reads.use-cases';

const RELEASES = 40;
const view = packageView('team/app', [
  ...Array.from({ length: RELEASES }, (_, i) => releasePublished({ release: `1.0.${i}` })),
  addedToChannel({ channel: 'stable', release: '1.0.7' }),
]);

/** Every read the use case makes of the metadata projection, by method: what a pull costs the store. */
function countingReader(views: PackageView[], reads: string[]): PackageReader {
  const reader = packageReaderOf(views);
  return {
    ...reader,
    get: async (pkg) => {
      reads.push(`get ${pkg}`);
      return reader.get(pkg);
    },
    getHead: async (pkg) => {
      reads.push(`getHead ${pkg}`);
      return reader.getHead(pkg);
    },
    getRelease: async (pkg, release, mediaType) => {
      reads.push(
        `getRelease ${pkg} ${typeof release === 'string' || release === null ? release : '(by digest)'} ${mediaType}`,
      );
      return reader.getRelease(pkg, release, mediaType);
    },
  };
}

const layerOf = (release: string) => view.manifests.find((m) => m.release === release)!.blobDigest;
const LAYER = Buffer.from('the chart layer');

/** A blob store holding every chart layer (its bytes: LAYER), signing download URLs when asked to. */
const layerStore = {
  read: async (digest: string) => {
    if (!view.manifests.some((m) => m.blobDigest === digest)) throw new Error(`unexpected blob read of ${digest}`);
    return LAYER;
  },
  stat: async () => ({ size: LAYER.length }),
  downloadUrl: async (digest: string, ttl: number) => `https://bucket.example/${digest}?ttl=${ttl}`,
} as unknown as BlobStore;

function useCases(
  reads: string[],
  env: Record<string, string> = {},
  pulls?: PullRecorder,
  reader: PackageReader = countingReader([view], reads),
): OciReadsUseCases {
  const access = new AccessControl({} as AccountDirectory);
  const config = loadConfig({ WHARF_AUTH_MODE: 'open', ...env });
  return new OciReadsUseCases(
    new ReadablePackages(reader, access),
    access,
    layerStore,
    { linked: async () => false } as unknown as UploadSessionStore,
    reader,
    config,
    new ArchiveReads(layerStore, config),
    pulls ?? new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config),
  );
}

const path = (reference: string) => ({ caller: OPEN_CALLER, namespace: 'team', name: 'app', reference });
const builtDigest = (release: string) =>
  ociDigestOf(artifactOf(view.manifests.find((m) => m.release === release)!)!.manifestDigest);

describe('OciReadsUseCases.manifest of a Helm release', () => {
  it('should answer a tag from the package head and one row, never the whole package', async () => {
    const reads: string[] = [];
    const answered = await useCases(reads).manifest(path('1.0.3'));
    expect(answered.digest).toBe(builtDigest('1.0.3'));
    expect(reads).toEqual(['getRelease team/app 1.0.3 helm']);
  });

  it("should answer a channel's name from the head, then its current release's row", async () => {
    const reads: string[] = [];
    const answered = await useCases(reads).manifest(path('stable'));
    expect(answered.digest).toBe(builtDigest('1.0.7'));
    expect(reads).toEqual(['getHead team/app', 'getRelease team/app 1.0.7 helm']);
  });

  it('should answer a tag no release or channel holds with manifest-unknown, having read the head alone', async () => {
    const reads: string[] = [];
    await expect(useCases(reads).manifest(path('2.0.0'))).rejects.toBeInstanceOf(ManifestUnknownError);
    await expect(useCases(reads).manifest(path('nightly'))).rejects.toBeInstanceOf(ManifestUnknownError);
    expect(reads).toEqual(['getRelease team/app 2.0.0 helm', 'getHead team/app']);
  });

  it('should answer a digest from the package head and the row of the release the store finds by that digest, in one read', async () => {
    const reads: string[] = [];
    const byTag = await useCases([]).manifest(path('1.0.3'));
    const answered = await useCases(reads).manifest(path(builtDigest('1.0.3')));
    expect(answered).toEqual(byTag);
    expect(reads).toEqual(['getRelease team/app (by digest) helm']);
  });

  it('should answer a digest no release or artifact has with manifest-unknown, having read the head alone', async () => {
    const reads: string[] = [];
    const unknown = `sha256:${'0'.repeat(64)}`;
    await expect(useCases(reads).manifest(path(unknown))).rejects.toBeInstanceOf(ManifestUnknownError);
    expect(reads).toEqual(['getRelease team/app (by digest) helm']);
  });
});

describe('OciReadsUseCases.blob of a chart layer', () => {
  const blob = (digest: string, head = false) => ({
    caller: OPEN_CALLER,
    namespace: 'team',
    name: 'app',
    digest: `sha256:${digest}`,
    head,
  });

  it('should redirect a GET to the store when WHARF_PULL_REDIRECT is on, never a HEAD, and serve the bytes when off', async () => {
    const on = useCases([], { WHARF_PULL_REDIRECT: 'true', WHARF_PULL_REDIRECT_TTL_SECONDS: '120' });
    const hex = layerOf('1.0.2');
    expect(await on.blob(blob(hex))).toMatchObject({
      location: `https://bucket.example/${hex}?ttl=120`,
      body: null,
    });
    const head = await on.blob(blob(hex, true));
    expect([head.location, head.body]).toEqual([undefined, null]);
    const off = await useCases([]).blob(blob(hex));
    expect([off.location, off.body]).toEqual([undefined, LAYER]);
  });

  it("should note a GET of a release's chart layer as a pull of that release (retention), redirected or not, and a HEAD as none", async () => {
    for (const env of [{}, { WHARF_PULL_REDIRECT: 'true' }] as Record<string, string>[]) {
      const pulls = new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), loadConfig({}));
      const reads = useCases([], env, pulls);
      await reads.blob(blob(layerOf('1.0.5'), true));
      expect(await pulls.lastPulls(['team/app'])).toEqual([]);
      await reads.blob(blob(layerOf('1.0.5')));
      expect((await pulls.lastPulls(['team/app'])).map((p) => `${p.package}@${p.release}`)).toEqual(['team/app@1.0.5']);
    }
  });
});

describe('OciReadsUseCases.blob with a range', () => {
  const ranged = (range: Parameters<OciReadsUseCases['blob']>[0]['range'], head = false) => ({
    caller: OPEN_CALLER,
    namespace: 'team',
    name: 'app',
    digest: `sha256:${layerOf('1.0.2')}`,
    head,
    range,
  });

  it('should answer the bytes a range names, and say which of how many (206)', async () => {
    const sent = await useCases([]).blob(ranged({ first: 2, last: 5 }));
    // The view's size of the layer (1024) is what the answer counts; the store holds LAYER's bytes.
    expect([sent.body?.toString(), sent.range, sent.size]).toEqual(['e ch', { start: 2, end: 5, size: 1024 }, 1024]);
    expect((await useCases([]).blob(ranged({ first: 10, last: null }))).body?.toString()).toBe('layer');
  });

  it('should refuse a range that names no byte of the blob, and ignore a range on a HEAD', async () => {
    await expect(useCases([]).blob(ranged({ first: 1024, last: null }))).rejects.toThrow(RangeNotSatisfiableError);
    const head = await useCases([]).blob(ranged({ first: 1024, last: null }, true));
    expect([head.body, head.range, head.size]).toEqual([null, undefined, 1024]);
  });
});

describe('OciReadsUseCases.blob with a range of a blob too large to cache', () => {
  it("should ask the store for only the range's bytes, not read the blob from its start", async () => {
    const opened: unknown[] = [];
    const store = {
      ...layerStore,
      read: async () => {
        throw new Error('a large blob is not read whole');
      },
      stat: async () => ({ size: 5_000_000 }),
      open: async (_digest: string, range?: { start: number; end: number }) => {
        opened.push(range);
        return Readable.from([Buffer.from('tail')]);
      },
    } as unknown as BlobStore;
    const reads: string[] = [];
    const config = loadConfig({ WHARF_AUTH_MODE: 'open', WHARF_BLOB_CACHE_MAX_BLOB_BYTES: '1000' });
    const reader = countingReader([view], reads);
    const access = new AccessControl({} as AccountDirectory);
    const cases = new OciReadsUseCases(
      new ReadablePackages(reader, access),
      access,
      store,
      { linked: async () => false } as unknown as UploadSessionStore,
      reader,
      config,
      new ArchiveReads(store, config),
      new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config),
    );
    const base = {
      caller: OPEN_CALLER,
      namespace: 'team',
      name: 'app',
      digest: `sha256:${layerOf('1.0.2')}`,
      head: false,
    };

    const sent = await cases.blob({ ...base, range: { suffix: 4 } });
    const whole = await cases.blob({ ...base, range: null });

    expect(opened).toEqual([{ start: 1020, end: 1023, size: 1024 }, undefined]);
    expect(Buffer.concat(await (sent.body as Readable).toArray()).toString()).toBe('tail');
    expect(whole.range).toBeUndefined();
  });
});
