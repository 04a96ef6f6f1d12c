import { Readable } from 'node:stream';
import { loadConfig } from '@wharf/config';
import { AccountStore, BlobInfo, BlobNotFoundError, BlobStore, PackageReader, SearchReader } from '@wharf/ports';
import { packageView, releasePublished, sha256Hex } from '@wharf/testing';
import { OPEN_CALLER } from '@wharf/domain';
import { AccessControl } from '../auth/access-control';
import { AccountDirectory } from '../auth/account-directory';
import { ReadPackageUseCases } from './read-package.use-cases';

const PKG = 'ns/app';
const view = packageView(PKG, [releasePublished({ release: '1.0.0' })]);
const blobDigest = view.manifests[0].blobDigest;
const bytes = Buffer.from('the archive');

const reader: PackageReader = {
  get: async (pkg) => (pkg === PKG ? view : null),
  list: async () => [],
  count: async () => 1,
};
const search: SearchReader = { search: async () => [], count: async () => 0 };

/** A strict in-memory blob store holding the one archive; `signing` adds downloadUrl. */
function blobStore(signing: boolean): BlobStore & { signed: string[] } {
  const signed: string[] = [];
  const store: BlobStore & { signed: string[] } = {
    signed,
    put: async () => {
      throw new Error('unexpected put');
    },
    open: async () => Readable.from([bytes]),
    read: async (digest) => {
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

describe(ReadPackageUseCases.name, () => {
  describe('pullArchive', () => {
    it('should serve the bytes by default, even when the store can sign URLs', async () => {
      const blobs = blobStore(true);
      const sut = new ReadPackageUseCases(reader, search, blobs, loadConfig({}), access);
      const pulled = await sut.pullArchive(OPEN_CALLER, 'ns', 'app', 'default', 'helm');
      expect('bytes' in pulled && pulled.bytes.equals(bytes)).toBe(true);
      expect(blobs.signed).toEqual([]);
    });

    it('should redirect to a URL signed for the configured lifetime when WHARF_PULL_REDIRECT is on', async () => {
      const blobs = blobStore(true);
      const sut = new ReadPackageUseCases(reader, search, blobs, loadConfig({ WHARF_PULL_REDIRECT: 'true', WHARF_PULL_REDIRECT_TTL_SECONDS: '120' }), access);
      const pulled = await sut.pullArchive(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm');
      expect(pulled).toMatchObject({ location: `https://s3.example/${blobDigest}?X-Amz-Expires=120` });
      expect(blobs.signed).toEqual([`${blobDigest}:120`]);
    });

    it('should serve the bytes when redirects are on but the store cannot sign URLs', async () => {
      const sut = new ReadPackageUseCases(reader, search, blobStore(false), loadConfig({ WHARF_PULL_REDIRECT: 'true' }), access);
      const pulled = await sut.pullArchive(OPEN_CALLER, 'ns', 'app', '1.0.0', 'helm');
      expect('bytes' in pulled && sha256Hex(pulled.bytes)).toBe(sha256Hex(bytes));
    });
  });
});
