import { createHash } from 'node:crypto';
import { DigestInvalidError, ManifestInvalidError } from '../errors';
import {
  MAX_OCI_ARTIFACT_RECORD_BYTES,
  OCI_IMAGE_INDEX,
  assertRecordableArtifact,
  descriptorDigest,
  parseOciManifest,
  recordedAnnotations,
  referencedBlobs,
} from './oci-manifest';

const hex = (seed: string) => createHash('sha256').update(seed).digest('hex');
const desc = (seed: string, mediaType = 'application/octet-stream', size = 3) => ({
  mediaType,
  digest: `sha256:${hex(seed)}`,
  size,
});
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('assertRecordableArtifact', () => {
  it('takes a record up to the bound and refuses one past it (a Kafka message holds it)', () => {
    const blobs = (n: number) => Array.from({ length: n }, (_, i) => hex(String(i)));
    const fits = { blobs: blobs(Math.floor(MAX_OCI_ARTIFACT_RECORD_BYTES / 67) - 10) };
    expect(assertRecordableArtifact(fits)).toBe(fits);
    expect(() => assertRecordableArtifact({ blobs: blobs(Math.ceil(MAX_OCI_ARTIFACT_RECORD_BYTES / 66)) })).toThrow(
      ManifestInvalidError,
    );
  });
});

describe('recordedAnnotations', () => {
  it("keeps a referrer's annotations (its subject's referrers list shows them) and no other manifest's", () => {
    const annotations = { 'org.example/a': 'x', b: 'y' };
    const plain = parseOciManifest(
      json({ schemaVersion: 2, mediaType: MANIFEST, config: desc('c'), annotations }),
      MANIFEST,
    );
    const referrer = parseOciManifest(
      json({ schemaVersion: 2, mediaType: MANIFEST, config: desc('c'), subject: desc('s', MANIFEST), annotations }),
      MANIFEST,
    );
    expect(recordedAnnotations(plain)).toBeUndefined();
    expect(recordedAnnotations(referrer)).toEqual([
      { name: 'org.example/a', value: 'x' },
      { name: 'b', value: 'y' },
    ]);
  });
});

describe('parseOciManifest', () => {
  it('reads an image manifest: config and layers, the config media type as artifact type', () => {
    const m = parseOciManifest(
      json({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: desc('c', 'application/vnd.oci.image.config.v1+json'),
        layers: [desc('l')],
      }),
      MANIFEST,
    );
    expect(m.artifactType).toBe('application/vnd.oci.image.config.v1+json');
    expect(referencedBlobs(m).map((d) => d.digest)).toEqual([hex('c'), hex('l')]);
  });

  it('reads sha512 descriptors as sha512 (the store keys them by sha256, through aliases), and refuses other algorithms', () => {
    const sha512 = `sha512:${createHash('sha512').update('l').digest('hex')}`;
    const m = parseOciManifest(
      json({ schemaVersion: 2, mediaType: MANIFEST, config: desc('c'), layers: [{ ...desc('l'), digest: sha512 }] }),
      MANIFEST,
    );
    expect(referencedBlobs(m).map(descriptorDigest)).toEqual([`sha256:${hex('c')}`, sha512]);
    expect(m.layers[0]).toMatchObject({ algorithm: 'sha512', digest: sha512.slice('sha512:'.length) });
    expect(() =>
      parseOciManifest(
        json({ schemaVersion: 2, mediaType: MANIFEST, config: { ...desc('c'), digest: `md5:${'0'.repeat(32)}` } }),
        MANIFEST,
      ),
    ).toThrow(DigestInvalidError);
  });

  it('does not reference non-distributable layers (urls, or their media types)', () => {
    const foreign = { ...desc('far', 'application/vnd.oci.image.layer.nondistributable.v1.tar'), urls: ['https://x'] };
    const m = parseOciManifest(
      json({ schemaVersion: 2, mediaType: MANIFEST, config: desc('c'), layers: [foreign, desc('l')] }),
      MANIFEST,
    );
    expect(referencedBlobs(m).map((d) => d.digest)).toEqual([hex('c'), hex('l')]);
    expect(m.foreignLayers.map((d) => d.digest)).toEqual([hex('far')]);
  });

  it('reads an artifact: artifactType, subject and annotations', () => {
    const m = parseOciManifest(
      json({
        schemaVersion: 2,
        mediaType: MANIFEST,
        artifactType: 'application/vnd.example.sbom',
        config: desc('{}', 'application/vnd.oci.empty.v1+json', 2),
        layers: [desc('sbom')],
        subject: desc('subject', MANIFEST),
        annotations: { 'org.example': 'x' },
      }),
      undefined,
    );
    expect(m).toMatchObject({ artifactType: 'application/vnd.example.sbom', subject: { digest: hex('subject') } });
    expect(m.annotations).toEqual({ 'org.example': 'x' });
  });

  it('reads an index: its entries are manifests, not blobs', () => {
    const m = parseOciManifest(
      json({ schemaVersion: 2, mediaType: OCI_IMAGE_INDEX, manifests: [desc('a', MANIFEST)] }),
      OCI_IMAGE_INDEX,
    );
    expect(m.manifests.map((d) => d.digest)).toEqual([hex('a')]);
    expect(referencedBlobs(m)).toEqual([]);
  });

  it('refuses what is not a manifest', () => {
    expect(() => parseOciManifest(Buffer.from('{'), MANIFEST)).toThrow(ManifestInvalidError);
    expect(() => parseOciManifest(json({ schemaVersion: 1 }), MANIFEST)).toThrow(ManifestInvalidError);
    expect(() => parseOciManifest(json({ schemaVersion: 2, mediaType: 'text/plain' }), undefined)).toThrow(
      ManifestInvalidError,
    );
    expect(() => parseOciManifest(json({ schemaVersion: 2, mediaType: MANIFEST, layers: [] }), MANIFEST)).toThrow(
      ManifestInvalidError,
    );
    expect(() =>
      parseOciManifest(json({ schemaVersion: 2, mediaType: MANIFEST, config: desc('c') }), OCI_IMAGE_INDEX),
    ).toThrow(ManifestInvalidError);
    expect(() =>
      parseOciManifest(
        json({ schemaVersion: 2, mediaType: MANIFEST, config: { ...desc('c'), digest: 'sha256:xyz' } }),
        MANIFEST,
      ),
    ).toThrow(DigestInvalidError);
  });
});
