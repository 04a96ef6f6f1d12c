/**
 * Helm charts over OCI (Helm >= 3.8, `helm push chart.tgz oci://host/ns`): how a helm release of
 * package `ns/name` is an OCI artifact of repository `ns/name`, and back.
 *
 * - A tag is a release with `+` written `_` (OCI tags may not contain `+`; Helm does the same).
 * - The chart layer is the release's blob (blobDigest is the sha256 of the .tgz, which is the
 *   layer's OCI digest), the provenance layer its `.prov` blob.
 * - A release pushed over OCI keeps the manifest and config Helm sent (`oci` on the release):
 *   their bytes are blobs, so the digest Helm printed is the one it pulls by.
 * - Any other helm release gets a manifest and config built here from the view alone, the same
 *   bytes on every request (fixed key order, no time), so its digests are stable.
 */
import { ManifestInvalidError, InvalidReleaseError } from '../errors';
import type { ChartMetadata } from '../archive/chart-metadata';
import type { OciDigests, ReleaseManifest } from '../package/package.view';
import { assertRelease } from '../semver';
import { ociDigestOf, parseOciDigest, sha256HexOf } from './oci-digest';

export const OCI_IMAGE_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const HELM_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.helm.config.v1+json';
export const HELM_CHART_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const HELM_PROVENANCE_LAYER_MEDIA_TYPE = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
/** The largest manifest body the /v2 routes read. */
export const MAX_OCI_MANIFEST_BYTES = 4 * 1024 * 1024;

export type { OciDigests };

export function tagOfRelease(release: string): string {
  return release.replaceAll('+', '_');
}

/** The release a tag names (`_` back to `+`); InvalidReleaseError when it is not strict SemVer. */
export function releaseOfTag(tag: string): string {
  const release = tag.replaceAll('_', '+');
  assertRelease(release);
  return release;
}

/** The OCI distribution spec's tag grammar. */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** True when `tag` is one Helm could have written for a release (the OCI tag grammar, and SemVer). */
export function isReleaseTag(tag: string): boolean {
  if (!OCI_TAG.test(tag)) return false;
  try {
    releaseOfTag(tag);
    return true;
  } catch (error) {
    if (error instanceof InvalidReleaseError) return false;
    throw error;
  }
}

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

/**
 * The sha256 (hex) of the OCI manifest a helm release is served with: the one its client pushed,
 * else the one built from its chart metadata; null when it has neither (no manifest is served).
 */
export function helmManifestDigestOf(release: ReleaseManifest): string | null {
  if (release.oci) return release.oci.manifestDigest;
  return builtHelmManifest(release)?.manifest.digest ?? null;
}

/** A Helm chart manifest as a client pushed it: the digests (hex) and sizes it names. */
export interface PushedHelmManifest {
  configDigest: string;
  configSize: number;
  chartDigest: string;
  chartSize: number;
  provenance: { digest: string; size: number } | null;
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

function descriptorOf(value: unknown, what: string): Descriptor {
  const d = value as Partial<Descriptor> | null;
  if (typeof d !== 'object' || d === null) throw new ManifestInvalidError(`${what} is not a descriptor`);
  if (typeof d.mediaType !== 'string') throw new ManifestInvalidError(`${what} has no mediaType`);
  if (typeof d.digest !== 'string') throw new ManifestInvalidError(`${what} has no digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new ManifestInvalidError(`${what} has no valid size`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/**
 * Reads a pushed manifest as a Helm chart: an OCI image manifest with Helm's config media type
 * and exactly one chart layer (and at most one provenance layer). ManifestInvalidError for
 * anything else, DigestInvalidError for a descriptor's malformed digest.
 */
export function parseHelmManifest(bytes: Buffer, contentType: string | undefined): PushedHelmManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestInvalidError('not JSON');
  }
  const m = parsed as { schemaVersion?: unknown; mediaType?: unknown; config?: unknown; layers?: unknown };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new ManifestInvalidError('not a JSON object');
  if (m.schemaVersion !== 2) throw new ManifestInvalidError('schemaVersion must be 2');
  const mediaType = m.mediaType ?? contentType?.split(';')[0]?.trim();
  if (mediaType !== undefined && mediaType !== OCI_IMAGE_MANIFEST)
    throw new ManifestInvalidError(`media type '${String(mediaType)}' is not ${OCI_IMAGE_MANIFEST}`);
  const config = descriptorOf(m.config, 'config');
  if (config.mediaType !== HELM_CONFIG_MEDIA_TYPE)
    throw new ManifestInvalidError(
      `only Helm charts are stored over OCI yet: config media type must be ${HELM_CONFIG_MEDIA_TYPE}`,
    );
  if (!Array.isArray(m.layers)) throw new ManifestInvalidError('layers must be an array');
  const layers = m.layers.map((l, i) => descriptorOf(l, `layers[${i}]`));
  const charts = layers.filter((l) => l.mediaType === HELM_CHART_LAYER_MEDIA_TYPE);
  const provs = layers.filter((l) => l.mediaType === HELM_PROVENANCE_LAYER_MEDIA_TYPE);
  if (charts.length !== 1) throw new ManifestInvalidError('a Helm chart manifest has exactly one chart layer');
  if (provs.length > 1) throw new ManifestInvalidError('a Helm chart manifest has at most one provenance layer');
  if (charts.length + provs.length !== layers.length)
    throw new ManifestInvalidError('a Helm chart manifest has only chart and provenance layers');
  const chart = charts[0]!;
  const prov = provs[0];
  return {
    configDigest: parseOciDigest(config.digest),
    configSize: config.size,
    chartDigest: parseOciDigest(chart.digest),
    chartSize: chart.size,
    provenance: prov ? { digest: parseOciDigest(prov.digest), size: prov.size } : null,
  };
}
