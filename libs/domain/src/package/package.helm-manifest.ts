/**
 * The OCI manifest and config Wharf serves for a helm release that was not pushed over OCI,
 * built from the release alone: the same bytes on every request (fixed key order, no time), so
 * their digests are stable. Here, beside the package, because the head indexes each helm
 * release's manifest digest (`packageHead`, `evolveHead`); `oci/helm-oci.ts` re-exports it.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { ociDigestOf, sha256HexOf } from '../digest';
import type { ReleaseManifest } from './package.view';

/** The media type of a Helm chart release (a package's releases of it are the charts). */
export const HELM_MEDIA_TYPE = 'helm';
export const OCI_IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const HELM_PROVENANCE_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.provenance.v1.prov';

/** A manifest or config with its bytes and digest. */
export interface OciContent {
  bytes: Buffer;
  digest: string;
  mediaType: string;
}

function content(value: unknown, mediaType: string): OciContent {
  const bytes = Buffer.from(JSON.stringify(value), 'utf8');
  return { bytes, digest: sha256HexOf(bytes), mediaType };
}

/** Helm's config for a chart: its Chart.yaml metadata as JSON, keys in the order ChartMetadata declares them. */
export function builtHelmConfig(chart: ChartMetadata): OciContent {
  const ordered: Record<string, unknown> = {};
  const keys: (keyof ChartMetadata)[] = [
    'name',
    'home',
    'sources',
    'version',
    'description',
    'keywords',
    'maintainers',
    'icon',
    'apiVersion',
    'appVersion',
    'deprecated',
    'annotations',
    'kubeVersion',
    'dependencies',
    'type',
  ];
  for (const key of keys) if (chart[key] !== undefined) ordered[key] = chart[key];
  return content(ordered, HELM_CONFIG_MEDIA_TYPE);
}

/** The manifest Wharf serves for a helm release that was not pushed over OCI; null when it has no chart metadata. */
export function builtHelmManifest(release: ReleaseManifest): { manifest: OciContent; config: OciContent } | null {
  if (!release.chart) return null;
  const config = builtHelmConfig(release.chart);
  const layers = [
    { mediaType: HELM_CHART_LAYER_MEDIA_TYPE, digest: ociDigestOf(release.blobDigest), size: release.size },
  ];
  if (release.provenanceDigest && release.provenanceSize !== undefined)
    layers.push({
      mediaType: HELM_PROVENANCE_LAYER_MEDIA_TYPE,
      digest: ociDigestOf(release.provenanceDigest),
      size: release.provenanceSize,
    });
  const manifest = content(
    {
      schemaVersion: 2,
      mediaType: OCI_IMAGE_MANIFEST,
      config: { mediaType: HELM_CONFIG_MEDIA_TYPE, digest: ociDigestOf(config.digest), size: config.bytes.length },
      layers,
    },
    OCI_IMAGE_MANIFEST,
  );
  return { manifest, config };
}

/** The OCI manifest a helm release is served with: its digests, and the built bytes when Wharf builds them. */
export interface HelmReleaseManifest {
  /** sha256 (hex) of the manifest. */
  manifestDigest: string;
  /** sha256 (hex) of its config. */
  configDigest: string;
  /** The manifest and config built from the chart metadata; null when the client's own were stored (blobs). */
  built: { manifest: OciContent; config: OciContent } | null;
}

/**
 * The one rule for which OCI manifest a helm release is served under, for the head's index of
 * digests and for the `/v2/` reads alike: the manifest its client pushed over OCI, else the one
 * built from its chart metadata (`build`, builtHelmManifest unless a caller keeps what it built);
 * null when it has neither (no manifest is served).
 */
export function helmReleaseManifestOf(
  release: ReleaseManifest,
  build: (release: ReleaseManifest) => ReturnType<typeof builtHelmManifest> = builtHelmManifest,
): HelmReleaseManifest | null {
  if (release.oci)
    return { manifestDigest: release.oci.manifestDigest, configDigest: release.oci.configDigest, built: null };
  const built = build(release);
  return built && { manifestDigest: built.manifest.digest, configDigest: built.config.digest, built };
}

/** The sha256 (hex) of the OCI manifest a helm release is served with (helmReleaseManifestOf); null for none. */
export function helmManifestDigestOf(release: ReleaseManifest): string | null {
  return helmReleaseManifestOf(release)?.manifestDigest ?? null;
}

/**
 * The key a helm release's manifest is found by for a digest a client named: its sha256 hex, as
 * helmManifestDigestOf answers it; null for a sha512 (charts have sha256 digests only).
 */
export function helmManifestKeyOf(digest: { algorithm: string; hex: string }): string | null {
  return digest.algorithm === 'sha256' ? digest.hex : null;
}
