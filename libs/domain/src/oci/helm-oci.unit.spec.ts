import { DigestInvalidError, InvalidReleaseError, ManifestInvalidError } from '../errors';
import type { ReleaseManifest } from '../package/package.view';
import {
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  OCI_IMAGE_MANIFEST,
  builtHelmManifest,
  isReleaseTag,
  parseHelmManifest,
  releaseOfTag,
  tagOfRelease,
} from './helm-oci';
import { parseOciDigest, sha256HexOf } from './oci-digest';

const d = (c: string) => c.repeat(64);

function release(overrides: Partial<ReleaseManifest> = {}): ReleaseManifest {
  return {
    release: '1.2.3+build.4',
    mediaType: 'helm',
    apprDigest: d('a'),
    blobDigest: d('b'),
    size: 1234,
    metadata: null,
    chart: { apiVersion: 'v2', name: 'nginx', version: '1.2.3+build.4', description: 'web' },
    createdAt: '2026-12-07T00:00:00.000Z',
    ...overrides,
  };
}

function manifestJson(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: `sha256:${d('c')}`, size: 100 },
      layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: `sha256:${d('b')}`, size: 1234 }],
      ...overrides,
    }),
  );
}

describe('tags and releases', () => {
  it('writes + as _ and back, as Helm does', () => {
    expect(tagOfRelease('1.2.3+build.4')).toBe('1.2.3_build.4');
    expect(releaseOfTag('1.2.3_build.4')).toBe('1.2.3+build.4');
  });

  it('refuses a tag that names no SemVer release', () => {
    expect(() => releaseOfTag('latest')).toThrow(InvalidReleaseError);
    expect(isReleaseTag('latest')).toBe(false);
    expect(isReleaseTag('1.0.0')).toBe(true);
    expect(isReleaseTag('-1.0.0')).toBe(false);
  });
});

describe('parseOciDigest', () => {
  it('takes sha256:<64 hex> and nothing else', () => {
    expect(parseOciDigest(`sha256:${d('a')}`)).toBe(d('a'));
    expect(() => parseOciDigest(d('a'))).toThrow(DigestInvalidError);
    expect(() => parseOciDigest(`sha512:${d('a')}`)).toThrow(DigestInvalidError);
    expect(() => parseOciDigest(`sha256:${d('A')}`)).toThrow(DigestInvalidError);
    expect(() => parseOciDigest('sha256:../../x')).toThrow(DigestInvalidError);
  });
});

describe('builtHelmManifest', () => {
  it('gives the same bytes for the same release, naming its blob as the chart layer and its config by digest', () => {
    const first = builtHelmManifest(release())!;
    const again = builtHelmManifest(release({ createdAt: '2030-01-01T00:00:00.000Z' }))!;
    expect(first.manifest.bytes.equals(again.manifest.bytes)).toBe(true);
    expect(first.manifest.digest).toBe(sha256HexOf(first.manifest.bytes));
    const parsed = JSON.parse(first.manifest.bytes.toString()) as Record<string, unknown>;
    expect(parsed).toEqual({
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST,
      config: {
        mediaType: HELM_CONFIG_MEDIA_TYPE,
        digest: `sha256:${first.config.digest}`,
        size: first.config.bytes.length,
      },
      layers: [{ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: `sha256:${d('b')}`, size: 1234 }],
    });
    expect(JSON.parse(first.config.bytes.toString())).toEqual(release().chart);
  });

  it('adds the provenance layer when the release has a .prov, and changes with the chart', () => {
    const withProv = builtHelmManifest(release({ provenanceDigest: d('p'), provenanceSize: 50 }))!;
    expect((JSON.parse(withProv.manifest.bytes.toString()) as { layers: unknown[] }).layers[1]).toEqual({
      mediaType: HELM_PROVENANCE_LAYER_MEDIA_TYPE,
      digest: `sha256:${d('p')}`,
      size: 50,
    });
    const other = builtHelmManifest(release({ chart: { name: 'nginx', version: '1.2.3+build.4' } }))!;
    expect(other.config.digest).not.toBe(builtHelmManifest(release())!.config.digest);
  });

  it('has none for a release without chart metadata', () => {
    expect(builtHelmManifest(release({ chart: null }))).toBeNull();
  });
});

describe('parseHelmManifest', () => {
  it('reads the config, chart and provenance descriptors of a Helm chart manifest', () => {
    expect(parseHelmManifest(manifestJson(), OCI_IMAGE_MANIFEST)).toEqual({
      configDigest: d('c'),
      configSize: 100,
      chartDigest: d('b'),
      chartSize: 1234,
      provenance: null,
    });
  });

  it.each([
    ['not JSON', Buffer.from('{')],
    ['another schema version', manifestJson({ schemaVersion: 1 })],
    [
      'an image config',
      manifestJson({
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${d('c')}`, size: 2 },
      }),
    ],
    [
      'two chart layers',
      manifestJson({
        layers: [1, 2].map(() => ({ mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: `sha256:${d('b')}`, size: 1 })),
      }),
    ],
    [
      'a foreign layer',
      manifestJson({
        layers: [
          { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: `sha256:${d('b')}`, size: 1 },
          { mediaType: 'text/plain', digest: `sha256:${d('e')}`, size: 1 },
        ],
      }),
    ],
    [
      'a negative size',
      manifestJson({ config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: `sha256:${d('c')}`, size: -1 } }),
    ],
    ['an index media type', manifestJson({ mediaType: 'application/vnd.oci.image.index.v1+json' })],
  ])('refuses %s as MANIFEST_INVALID', (_what, bytes) => {
    expect(() => parseHelmManifest(bytes, OCI_IMAGE_MANIFEST)).toThrow(ManifestInvalidError);
  });

  it('refuses a malformed descriptor digest as DIGEST_INVALID', () => {
    const bytes = manifestJson({ config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: 'sha256:xyz', size: 2 } });
    expect(() => parseHelmManifest(bytes, OCI_IMAGE_MANIFEST)).toThrow(DigestInvalidError);
  });
});
