import { TEST_PACKAGE, deciderSpec, foldEvents, published, testDigest } from '@wharf/testing';
import { ManifestBlobUnknownError, ManifestUnknownError, PackageExistsError, QuotaExceededError } from '../errors';
import { decide } from './package.decider';
import { storedBytesOf } from './package.summary';
import { blobReferenceChanges } from './blob-references';
import type { DeleteOciManifest, DeleteOciTag, PutOciManifest } from './package.commands';
import type { OciManifestPushed, PackageEvent } from './package.events';
import { findOciTag, ociRepositoryExists, packageExists } from './package.view';

const spec = () => deciderSpec(TEST_PACKAGE);
const meta = { commandId: 'c1', correlationId: 'c1', issuedAt: '2026-01-01T00:00:00.000Z' };

const image = (seed: string, extra: Partial<PutOciManifest['artifact']> = {}): PutOciManifest['artifact'] => ({
  digest: testDigest(`manifest:${seed}`),
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  artifactType: 'application/vnd.oci.image.config.v1+json',
  size: 400,
  blobs: [testDigest(`config:${seed}`), testDigest(`layer:${seed}`)],
  manifests: [],
  ...extra,
});

const put = (artifact: PutOciManifest['artifact'], tag: string | null = null): PutOciManifest => ({
  type: 'PutOciManifest',
  package: TEST_PACKAGE,
  artifact,
  tag,
  tagNamesRelease: tag === '1.0.0' ? { release: '1.0.0', mediaType: 'helm' } : null,
  visibility: 'public',
  meta,
});

const pushed = (
  artifact: PutOciManifest['artifact'],
  visibility: 'public' | 'private' = 'public',
): OciManifestPushed => ({
  type: 'OciManifestPushed',
  data: { ...artifact, visibility },
});

const tagged = (tag: string, digest: string): PackageEvent => ({ type: 'OciTagged', data: { tag, digest } });

describe('decide: PutOciManifest', () => {
  it('stores a new manifest and tags it', () => {
    const a = image('a');
    spec().given().when(put(a, 'latest')).then(pushed(a), tagged('latest', a.digest));
  });

  it('stores a manifest pushed by digest without a tag', () => {
    const a = image('a');
    spec().given().when(put(a)).then(pushed(a));
  });

  it('changes nothing when the manifest and tag are held already', () => {
    const a = image('a');
    spec().given(pushed(a), tagged('latest', a.digest)).when(put(a, 'latest')).then();
  });

  it('moves a tag to another manifest', () => {
    const a = image('a');
    const b = image('b');
    spec()
      .given(pushed(a), tagged('latest', a.digest))
      .when(put(b, 'latest'))
      .then(pushed(b), tagged('latest', b.digest));
  });

  it('refuses a tag that names a helm release of the package', () => {
    spec()
      .given(published({ release: '1.0.0', mediaType: 'helm' }))
      .when(put(image('a'), '1.0.0'))
      .thenThrows(PackageExistsError, { release: '1.0.0' });
  });

  it('refuses an index whose entries are not manifests of the repository', () => {
    const index = image('index', {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      blobs: [],
      manifests: [testDigest('missing')],
    });
    spec().given().when(put(index)).thenThrows(ManifestBlobUnknownError);
  });

  it('stores an index over manifests it holds', () => {
    const a = image('a');
    const index = image('index', {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      blobs: [],
      manifests: [a.digest],
    });
    spec().given(pushed(a)).when(put(index, 'multi')).then(pushed(index), tagged('multi', index.digest));
  });

  it('keeps the visibility of a package that had events', () => {
    const a = image('a');
    spec()
      .given(published({ release: '1.0.0', visibility: 'private' }))
      .when(put(a))
      .then(pushed(a, 'private'));
  });
});

describe('decide: PutOciManifest within the namespace quota', () => {
  const withQuota = (artifact: PutOciManifest['artifact'], quota: number): PutOciManifest => ({
    ...put(artifact),
    namespaceQuotaBytes: quota,
  });

  it('refuses a new artifact that would take the namespace over its quota, counting the package and the rest', () => {
    const held = image('held', { storedBytes: 300 });
    const state = foldEvents(TEST_PACKAGE, [pushed(held)]);
    expect(() =>
      decide(withQuota(image('new', { storedBytes: 500 }), 1000), state, { namespaceBytesElsewhere: 201 }),
    ).toThrow(QuotaExceededError);
    expect(
      decide(withQuota(image('new', { storedBytes: 500 }), 1000), state, { namespaceBytesElsewhere: 200 }),
    ).toHaveLength(1);
  });

  it('takes a manifest held already (tagged again) whatever the quota', () => {
    const held = image('held', { storedBytes: 300 });
    const state = foldEvents(TEST_PACKAGE, [pushed(held)]);
    expect(decide({ ...withQuota(held, 1), tag: 'again' }, state, { namespaceBytesElsewhere: 5000 })).toEqual([
      tagged('again', held.digest),
    ]);
  });

  it('counts artifacts in the bytes a package stores', () => {
    expect(storedBytesOf(foldEvents(TEST_PACKAGE, [pushed(image('a', { storedBytes: 300 }))]))).toBe(300);
  });
});

describe('decide: DeleteOciManifest and DeleteOciTag', () => {
  const del = (digest: string): DeleteOciManifest => ({
    type: 'DeleteOciManifest',
    package: TEST_PACKAGE,
    digest,
    meta,
  });
  const untag = (tag: string): DeleteOciTag => ({ type: 'DeleteOciTag', package: TEST_PACKAGE, tag, meta });

  it('deletes a manifest with the references it held', () => {
    const a = image('a');
    spec()
      .given(pushed(a), tagged('latest', a.digest))
      .when(del(a.digest))
      .then({ type: 'OciManifestDeleted', data: { digest: a.digest, blobs: a.blobs, manifests: [] } });
  });

  it('refuses to delete a manifest it does not hold', () => {
    spec()
      .given()
      .when(del(testDigest('none')))
      .thenThrows(ManifestUnknownError);
  });

  it('deletes a tag, and refuses a tag it does not hold', () => {
    const a = image('a');
    spec()
      .given(pushed(a), tagged('latest', a.digest))
      .when(untag('latest'))
      .then({ type: 'OciUntagged', data: { tag: 'latest' } });
    spec().given(pushed(a)).when(untag('latest')).thenThrows(ManifestUnknownError);
  });
});

describe('evolve: OCI artifacts', () => {
  it('a repository of artifacts only exists for OCI, not as a package of releases (appr, Helm)', () => {
    const view = foldEvents(TEST_PACKAGE, [pushed(image('a'))]);
    expect(ociRepositoryExists(view)).toBe(true);
    expect(packageExists(view)).toBe(false);
  });

  it('a moved tag leaves the manifest it named; a deleted manifest takes its tags', () => {
    const a = image('a');
    const b = image('b');
    const moved = foldEvents(TEST_PACKAGE, [pushed(a), tagged('t', a.digest), pushed(b), tagged('t', b.digest)]);
    expect(findOciTag(moved, 't')?.digest).toBe(b.digest);
    expect(moved.ociArtifacts?.find((x) => x.digest === a.digest)?.tags).toEqual([]);
    const gone = foldEvents(TEST_PACKAGE, [
      pushed(a),
      tagged('t', a.digest),
      { type: 'OciManifestDeleted', data: { digest: a.digest, blobs: a.blobs, manifests: [] } },
    ]);
    expect(findOciTag(gone, 't')).toBeUndefined();
    expect(gone.ociArtifacts).toBeUndefined();
  });
});

describe('blobReferenceChanges: OCI artifacts', () => {
  it('a manifest references its own bytes, its config and layers, and an index its entries; a delete releases them', () => {
    const index = image('i', { blobs: [testDigest('c')], manifests: [testDigest('m')] });
    const refs = [index.digest, testDigest('c'), testDigest('m')];
    expect(blobReferenceChanges(pushed(index))).toEqual(refs.map((digest) => ({ digest, delta: 1 })));
    expect(
      blobReferenceChanges({
        type: 'OciManifestDeleted',
        data: { digest: index.digest, blobs: index.blobs, manifests: index.manifests },
      }),
    ).toEqual(refs.map((digest) => ({ digest, delta: -1 })));
    expect(blobReferenceChanges(tagged('t', index.digest))).toEqual([]);
  });
});
