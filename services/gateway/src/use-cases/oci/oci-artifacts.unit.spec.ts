import { builtHelmManifest } from '@wharf/domain';
import { packageView, releasePublished } from '@wharf/testing';
import { artifactOf } from './oci-artifacts';

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
