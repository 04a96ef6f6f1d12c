/**
 * Helm charts over OCI (Helm >= 3.8, `helm push chart.tgz oci://host/ns`): how a helm release of
 * package `ns/name` is an OCI artifact of repository `ns/name`, and back.
 *
 * - A tag is a release with `+` written `_` (OCI tags may not contain `+`; Helm does the same).
 * - The chart layer is the release's blob (blobDigest is the sha256 of the .tgz, which is the
 *   layer's OCI digest), the provenance layer its `.prov` blob.
 * - A release pushed over OCI keeps the manifest and config Helm sent (`oci` on the release):
 *   their bytes are blobs, so the digest Helm printed is the one it pulls by.
 * - Any other helm release gets a manifest and config built from the view alone, the same bytes
 *   on every request (fixed key order, no time), so its digests are stable
 *   (`package/package.helm-manifest.ts`, beside the head that indexes their digests).
 */
import { ManifestInvalidError, InvalidReleaseError } from '../errors';
import type { OciDigests } from '../package/package.view';
import { assertRelease } from '../semver';
import { parseOciDigest } from './oci-digest';

export {
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  OCI_IMAGE_MANIFEST,
  builtHelmConfig,
  builtHelmManifest,
  helmManifestDigestOf,
  helmManifestKeyOf,
  helmReleaseManifestOf,
} from '../package/package.helm-manifest';
export type { HelmReleaseManifest, OciContent } from '../package/package.helm-manifest';
import {
  HELM_CHART_LAYER_MEDIA_TYPE,
  HELM_CONFIG_MEDIA_TYPE,
  HELM_PROVENANCE_LAYER_MEDIA_TYPE,
  OCI_IMAGE_MANIFEST,
} from '../package/package.helm-manifest';
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
