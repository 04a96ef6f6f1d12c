import { packageView, releasePublished, testDigest } from '@wharf/testing';
import { parseAnyOciDigest } from '../oci/oci-digest';
import {
  builtHelmManifest,
  helmManifestDigestOf,
  helmManifestKeyOf,
  helmReleaseManifestOf,
} from './package.helm-manifest';
import type { ReleaseManifest } from './package.view';

const built = packageView('team/app', [releasePublished({ release: '1.0.0' })]).manifests[0]!;
const pushed: ReleaseManifest = { ...built, oci: { manifestDigest: testDigest('m'), configDigest: testDigest('c') } };
const bare: ReleaseManifest = { ...built, chart: null };

describe('helmReleaseManifestOf: the manifest a helm release is served under', () => {
  it('is the one its client pushed over OCI, whose bytes are blobs (nothing built)', () => {
    const build = jest.fn(builtHelmManifest);
    expect(helmReleaseManifestOf(pushed, build)).toEqual({
      manifestDigest: testDigest('m'),
      configDigest: testDigest('c'),
      built: null,
    });
    expect(build).not.toHaveBeenCalled();
  });

  it('is else the one built from its chart metadata, by the builder the caller gives (its result kept as is)', () => {
    const expected = builtHelmManifest(built)!;
    expect(helmReleaseManifestOf(built)).toEqual({
      manifestDigest: expected.manifest.digest,
      configDigest: expected.config.digest,
      built: expected,
    });
    expect(helmReleaseManifestOf(built, () => expected)!.built).toBe(expected);
  });

  it('is none for a release with neither', () => {
    expect(helmReleaseManifestOf(bare)).toBeNull();
  });

  it.each([
    ['pushed', pushed],
    ['built', built],
    ['bare', bare],
  ])('gives the head its digest (helmManifestDigestOf) for a %s release', (_, release) => {
    expect(helmManifestDigestOf(release)).toBe(helmReleaseManifestOf(release)?.manifestDigest ?? null);
  });
});

describe('helmManifestKeyOf', () => {
  it('finds a helm release by the sha256 a client names, never by a sha512 (charts have sha256 digests only)', () => {
    expect(helmManifestKeyOf(parseAnyOciDigest(`sha256:${testDigest('m')}`))).toBe(testDigest('m'));
    expect(helmManifestKeyOf(parseAnyOciDigest(`sha512:${'ab'.repeat(64)}`))).toBeNull();
  });
});
