import { blobReferenceChanges } from './blob-references';
import type { ReleasePublished } from './package.events';

const d = (c: string) => c.repeat(64);

function published(overrides: Partial<ReleasePublished['data']> = {}): ReleasePublished {
  return {
    type: 'ReleasePublished',
    data: {
      release: '1.0.0',
      mediaType: 'helm',
      apprDigest: d('a'),
      blobDigest: d('b'),
      size: 1,
      metadata: null,
      chart: null,
      replaced: null,
      visibility: 'public',
      ...overrides,
    },
  };
}

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
    expect(
      blobReferenceChanges({
        type: 'ReleaseDeleted',
        data: { release: '1.0.0', mediaType: 'helm', apprDigest: d('a'), blobDigest: d('b'), provenanceDigest: d('c') },
      }),
    ).toEqual([
      { digest: d('b'), delta: -1 },
      { digest: d('c'), delta: -1 },
    ]);
  });
});
