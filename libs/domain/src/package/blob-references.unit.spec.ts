import { deleted, published as publishedRelease } from '@wharf/testing';
import { blobReferenceChanges } from './blob-references';
import type { ReleasePublished } from './package.events';

const d = (c: string) => c.repeat(64);

/** A publish of archive d('b') (appr digest d('a')). */
const published = (overrides: Partial<ReleasePublished['data']> = {}) =>
  publishedRelease({ apprDigest: d('a'), blobDigest: d('b'), ...overrides });

describe('blobReferenceChanges', () => {
  it('counts the archive of a publish, and its provenance file when there is one', () => {
    expect(blobReferenceChanges(published())).toEqual([{ digest: d('b'), delta: 1 }]);
    expect(blobReferenceChanges(published({ provenanceDigest: d('c') }))).toEqual([
      { digest: d('b'), delta: 1 },
      { digest: d('c'), delta: 1 },
    ]);
  });

  it('moves the references of a forced push from the replaced archive and provenance file', () => {
    expect(
      blobReferenceChanges(
        published({
          blobDigest: d('e'),
          replaced: { apprDigest: d('a'), blobDigest: d('b'), provenanceDigest: d('c') },
        }),
      ),
    ).toEqual([
      { digest: d('e'), delta: 1 },
      { digest: d('b'), delta: -1 },
      { digest: d('c'), delta: -1 },
    ]);
  });

  it('releases both on delete', () => {
    expect(blobReferenceChanges(deleted({ apprDigest: d('a'), blobDigest: d('b'), provenanceDigest: d('c') }))).toEqual(
      [
        { digest: d('b'), delta: -1 },
        { digest: d('c'), delta: -1 },
      ],
    );
  });

  it('counts the manifest and config of a release pushed over OCI, and lets them go with it', () => {
    const oci = { manifestDigest: d('m'), configDigest: d('f') };
    expect(blobReferenceChanges(published({ oci }))).toEqual([
      { digest: d('b'), delta: 1 },
      { digest: d('m'), delta: 1 },
      { digest: d('f'), delta: 1 },
    ]);
    expect(blobReferenceChanges(deleted({ apprDigest: d('a'), blobDigest: d('b'), oci }))).toEqual([
      { digest: d('b'), delta: -1 },
      { digest: d('m'), delta: -1 },
      { digest: d('f'), delta: -1 },
    ]);
  });
});
