import { builtHelmManifest, helmManifestDigestOf } from '@wharf/domain';
import { packageView, releasePublished, testDigest } from '@wharf/testing';
import { artifactOf, findArtifact } from './oci-artifacts';

describe('artifactOf a helm release not pushed over OCI', () => {
  const view = packageView('team/app', [releasePublished({ release: '1.0.0' })]);
  const release = view.manifests[0]!;

  it('should build its manifest once per manifest object the store hands out, with the bytes built afresh', () => {
    const first = artifactOf(release)!;
    expect(first.built!.manifest.bytes).toEqual(builtHelmManifest(release)!.manifest.bytes);
    expect(artifactOf(release)!.built).toBe(first.built);
  });

  it('should build anew for another manifest object (a row read at another head), never answering the one before', () => {
    const before = artifactOf(release)!;
    const republished = { ...release, chart: { ...release.chart!, description: 'republished' } };
    const after = artifactOf(republished)!;
    expect(after.built).not.toBe(before.built);
    expect(after.manifestDigest).toBe(builtHelmManifest(republished)!.manifest.digest);
    expect(after.manifestDigest).not.toBe(before.manifestDigest);
  });
});

describe('artifactOf and findArtifact: the digest the head indexes (helmManifestDigestOf)', () => {
  const view = packageView('team/app', [
    releasePublished({ release: '1.0.0' }),
    releasePublished({ release: '1.0.1' }),
  ]);
  const pushed = { ...view.manifests[1]!, oci: { manifestDigest: testDigest('m'), configDigest: testDigest('c') } };
  const both = { ...view, manifests: [view.manifests[0]!, pushed] };

  it('should serve each release under the digest the head indexes it by, built or pushed', () => {
    for (const release of both.manifests) {
      const digest = helmManifestDigestOf(release)!;
      expect(artifactOf(release)!.manifestDigest).toBe(digest);
      expect(findArtifact(both, `sha256:${digest}`)!.release).toBe(release);
    }
    expect(artifactOf(pushed)).toEqual({ release: pushed, ...pushed.oci, built: null });
  });

  it('should find no release by a sha512 digest, nor by a digest the head does not index', () => {
    expect(findArtifact(both, `sha512:${'ab'.repeat(64)}`)).toBeNull();
    expect(findArtifact(both, `sha256:${testDigest('other')}`)).toBeNull();
  });
});
