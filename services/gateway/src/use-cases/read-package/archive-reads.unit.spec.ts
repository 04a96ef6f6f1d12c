import { SqlitePullRecordStore } from '@wharf/adapters/pull-records-sqlite';
import { Readable } from 'node:stream';
import { WharfConfig, loadConfig } from '@wharf/config';
import { AccountStore, BlobInfo, BlobNotFoundError, BlobStore, PackageReader } from '@wharf/ports';
import { RecordingMetrics, packageReaderOf, packageView, releasePublished, sha256Hex } from '@wharf/testing';
import { ANONYMOUS, OPEN_CALLER, PackageNotFoundError } from '@wharf/domain';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { ArchiveReads } from './archive-reads';
import { PackageBlobsUseCases } from './package-blobs.use-cases';
import { PullRecorder } from '../retention/pull-recorder';
import { PullReleaseUseCases } from './pull-release.use-cases';
import { ReadablePackages } from './readable-packages';

const PKG = 'ns/app';
const PRIVATE_PKG = 'ns/secret';
const view = packageView(PKG, [releasePublished({ release: '1.0.0' })]);
const privateView = packageView(PRIVATE_PKG, [releasePublished({ release: '1.0.0', visibility: 'private' })]);
const blobDigest = view.manifests[0].blobDigest;
const apprDigest = view.manifests[0].apprDigest;
const bytes = Buffer.from('the archive');

const reader = packageReaderOf([view, privateView]);

/** A strict in-memory blob store holding the one archive (under both views' blob digest); `signing` adds downloadUrl; `calls` records opens and reads. */
function blobStore(signing: boolean): BlobStore & { signed: string[]; calls: string[] } {
  const signed: string[] = [];
  const calls: string[] = [];
  const store: BlobStore & { signed: string[]; calls: string[] } = {
    signed,
    calls,
    put: async () => {
      throw new Error('unexpected put');
    },
    open: async (digest) => {
      calls.push(`open ${digest}`);
      if (digest !== blobDigest) throw new BlobNotFoundError(digest, 'fake');
      return Readable.from([bytes]);
    },
    read: async (digest) => {
      calls.push(`read ${digest}`);
      if (digest !== blobDigest) throw new BlobNotFoundError(digest, 'fake');
      return bytes;
    },
    stat: async (): Promise<BlobInfo | null> => ({ digest: blobDigest, size: bytes.length }),
    delete: async () => false,
    list: async function* () {},
    close: async () => {},
  };
  if (signing) {
    store.downloadUrl = async (digest, expires) => {
      signed.push(`${digest}:${expires}`);
      return `https://s3.example/${digest}?X-Amz-Expires=${expires}`;
    };
  }
  return store;
}

/**
 * Every call is made as the open caller, for whom the access rules decide without reading an
 * account (hence a store that is never called): these tests see only the redirect decision.
 */
const access = new AccessControl(new AccountDirectory({} as AccountStore));

/** The pull and blob use cases over `reader` and `blobs`. */
function reads(packageReader: PackageReader, blobs: BlobStore, config: WharfConfig, metrics = new RecordingMetrics()) {
  const packages = new ReadablePackages(packageReader, access);
  const archives = new ArchiveReads(blobs, config, metrics);
  const recorder = new PullRecorder(new SqlitePullRecordStore({ path: ':memory:' }), config);
  return {
    pulls: new PullReleaseUseCases(packages, archives, recorder),
    blobs: new PackageBlobsUseCases(packages, archives),
  };
}

describe('reading archives (PullReleaseUseCases, PackageBlobsUseCases)', () => {
  describe('the raw pull', () => {
    it('should count each archive served or redirected as an appr pull of its size, and nothing the client holds', async () => {
      const metrics = new RecordingMetrics();
      const size = view.manifests[0].size;
      const served = reads(reader, blobStore(true), loadConfig({}), metrics);
      await served.pulls.archive(OPEN_CALLER, 'ns', 'app', 'default', 'helm');
      await served.pulls.json(OPEN_CALLER, 'ns', 'app', 'default', 'helm');
      await served.blobs.archive(OPEN_CALLER, 'ns', 'app', blobDigest);
      await served.pulls.archive(OPEN_CALLER, 'ns', 'app', 'default', 'helm', () => true);
      const redirected = reads(reader, blobStore(true), loadConfig({ WHARF_PULL_REDIRECT: 'true' }), metrics);
      await redirected.pulls.archive(OPEN_CALLER, 'ns', 'app', 'default', 'helm');

      expect(metrics.counted).toEqual([
        `pulled appr ${size}`,
        `pulled appr ${size}`,
        `pulled appr ${size}`,
        'pulled appr 0',
      ]);
    });

    it('should serve the bytes by default, even when the store can sign URLs', async () => {
      const blobs = blobStore(true);
      const sut = reads(reader, blobs, loadConfig({}));
      const pulled = await sut.pulls.archive(OPEN_CALLER, 'ns', 'app', 'default', 'helm');
      expect('body' in pulled && Buffer.isBuffer(pulled.body) && pulled.body.equals(bytes)).toBe(true);
      expect(blobs.signed).toEqual([]);
    });

    it('should redirect to a URL signed for the configured lifetime when WHARF_PULL_REDIRECT is on', async () => {
      const blobs = blobStore(true);
      const sut = reads(
        reader,
        blobs,
        loadConfig({ WHARF_PULL_REDIRECT: 'true', WHARF_PULL_REDIRECT_TTL_SECONDS: '120' }),
      );
      const pulled = await sut.pulls.archive(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm');
      expect(pulled).toMatchObject({ location: `https://s3.example/${blobDigest}?X-Amz-Expires=120` });
      expect(blobs.signed).toEqual([`${blobDigest}:120`]);
    });

    it('should serve the bytes when redirects are on but the store cannot sign URLs', async () => {
      const sut = reads(reader, blobStore(false), loadConfig({ WHARF_PULL_REDIRECT: 'true' }));
      const pulled = await sut.pulls.archive(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm');
      expect('body' in pulled && Buffer.isBuffer(pulled.body) && sha256Hex(pulled.body)).toBe(sha256Hex(bytes));
    });

    it('should read a blob the cache may keep whole, and stream a larger one', async () => {
      const small = blobStore(false);
      const kept = await reads(reader, small, loadConfig({ WHARF_BLOB_CACHE_MAX_BLOB_BYTES: '1024' })).pulls.archive(
        OPEN_CALLER,
        'ns',
        'app',
        '1.0.0',
        'helm',
      );
      expect(Buffer.isBuffer('body' in kept && kept.body)).toBe(true);
      expect(small.calls).toEqual([`read ${blobDigest}`]);

      const large = blobStore(false);
      const streamed = await reads(
        reader,
        large,
        loadConfig({ WHARF_BLOB_CACHE_MAX_BLOB_BYTES: '1023' }),
      ).pulls.archive(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm');
      expect('body' in streamed && streamed.body instanceof Readable).toBe(true);
      expect(large.calls).toEqual([`open ${blobDigest}`]);
    });

    it('should read nothing and answer no body when the client holds the blob, naming the blob it holds', async () => {
      const blobs = blobStore(true);
      const sut = reads(reader, blobs, loadConfig({ WHARF_PULL_REDIRECT: 'true' }));
      const asked: string[] = [];
      const pulled = await sut.pulls.archive(
        OPEN_CALLER,
        'ns',
        'app',
        '1.0.0',
        'helm',
        (digest) => asked.push(digest) > 0,
      );
      expect(pulled).toMatchObject({ blobDigest, immutable: false, body: null, filename: 'ns_app_1.0.0.tar.gz' });
      expect(asked).toEqual([blobDigest]);
      expect([...blobs.calls, ...blobs.signed]).toEqual([]);
    });
  });

  describe('a blob by digest', () => {
    it('should be immutable when asked by the digest of its bytes, not when asked by its appr digest', async () => {
      const sut = reads(reader, blobStore(false), loadConfig({}));
      const byBytes = await sut.blobs.archive(OPEN_CALLER, 'ns', 'app', blobDigest.toUpperCase());
      expect(byBytes).toMatchObject({
        blobDigest,
        immutable: true,
        filename: `ns_app_${blobDigest.slice(0, 8)}.tar.gz`,
      });
      expect(Buffer.isBuffer(byBytes.body) && byBytes.body.equals(bytes)).toBe(true);
      expect(await sut.blobs.archive(OPEN_CALLER, 'ns', 'app', apprDigest)).toMatchObject({
        blobDigest,
        immutable: false,
      });
    });
  });

  describe('JSON pulls', () => {
    const large = { ...view, manifests: [{ ...view.manifests[0], size: 2048 }] };
    const largeReader = packageReaderOf([large]);

    it('should refuse a blob larger than WHARF_MAX_JSON_PULL_BYTES with payload-too-large naming the raw pull, reading nothing', async () => {
      const blobs = blobStore(false);
      const sut = reads(largeReader, blobs, loadConfig({ WHARF_MAX_JSON_PULL_BYTES: '2047' }));
      await expect(sut.pulls.json(OPEN_CALLER, 'ns', 'app', 'default', '-')).rejects.toMatchObject({
        code: 'payload-too-large',
        details: { size: 2048, max: 2047, raw_pull: '/cnr/api/v1/packages/ns/app/1.0.0/helm/pull' },
      });
      await expect(sut.blobs.json(OPEN_CALLER, 'ns', 'app', apprDigest)).rejects.toMatchObject({
        code: 'payload-too-large',
        details: { raw_pull: `/cnr/api/v1/packages/ns/app/blobs/sha256/${apprDigest}` },
      });
      expect(blobs.calls).toEqual([]);
    });

    it('should serve a blob at the bound, streamed when the blob cache would not keep it', async () => {
      const blobs = blobStore(false);
      const sut = reads(
        largeReader,
        blobs,
        loadConfig({ WHARF_MAX_JSON_PULL_BYTES: '2048', WHARF_BLOB_CACHE_MAX_BLOB_BYTES: '1024' }),
      );
      expect((await sut.pulls.json(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm')).body).toBeInstanceOf(Readable);
      expect(blobs.calls).toEqual([`open ${blobDigest}`]);
    });
  });

  describe('a private package, to a caller who may not read it', () => {
    const holdsEverything = () => true;

    it('should be package-not-found on every raw route, even when the client claims to hold its blob, reading nothing', async () => {
      const blobs = blobStore(false);
      const sut = reads(reader, blobs, loadConfig({}));
      await expect(
        sut.pulls.archive(ANONYMOUS, 'ns', 'secret', '1.0.0', 'helm', holdsEverything),
      ).rejects.toBeInstanceOf(PackageNotFoundError);
      await expect(sut.pulls.archive(ANONYMOUS, 'ns', 'secret', '1.0.0', 'helm')).rejects.toBeInstanceOf(
        PackageNotFoundError,
      );
      await expect(sut.blobs.archive(ANONYMOUS, 'ns', 'secret', blobDigest, holdsEverything)).rejects.toBeInstanceOf(
        PackageNotFoundError,
      );
      await expect(sut.blobs.archive(ANONYMOUS, 'ns', 'secret', blobDigest)).rejects.toBeInstanceOf(
        PackageNotFoundError,
      );
      await expect(sut.blobs.json(ANONYMOUS, 'ns', 'secret', blobDigest)).rejects.toBeInstanceOf(PackageNotFoundError);
      await expect(sut.pulls.json(ANONYMOUS, 'ns', 'secret', '1.0.0', 'helm')).rejects.toBeInstanceOf(
        PackageNotFoundError,
      );
      expect(blobs.calls).toEqual([]);
    });

    it('should still serve it to a caller who may read it', async () => {
      const sut = reads(reader, blobStore(false), loadConfig({}));
      expect(await sut.blobs.archive(OPEN_CALLER, 'ns', 'secret', blobDigest)).toMatchObject({
        blobDigest,
        immutable: true,
      });
    });
  });
});
