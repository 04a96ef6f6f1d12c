import { loadConfig } from '@wharf/config';
import { ManifestUnknownError, OPEN_CALLER, PackageView, ociDigestOf } from '@wharf/domain';
import { BlobStore, PackageReader, UploadSessionStore } from '@wharf/ports';
import { addedToChannel, packageReaderOf, packageView, releasePublished } from '@wharf/testing';
import { AccessControl } from '../../auth/access-control';
import { AccountDirectory } from '../../auth/account-directory';
import { ReadablePackages } from '../read-package/readable-packages';
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
      reads.push(`getRelease ${pkg} ${release} ${mediaType}`);
      return reader.getRelease(pkg, release, mediaType);
    },
  };
}

function useCases(reads: string[]): OciReadsUseCases {
  const reader = countingReader([view], reads);
  const access = new AccessControl({} as AccountDirectory);
  const noBlob = {
    read: async (digest: string) => {
      throw new Error(`a built Helm manifest needs no blob read (${digest})`);
    },
  } as unknown as BlobStore;
  return new OciReadsUseCases(
    new ReadablePackages(reader, access),
    access,
    noBlob,
    {} as UploadSessionStore,
    reader,
    loadConfig({ WHARF_AUTH_MODE: 'open' }),
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
});
