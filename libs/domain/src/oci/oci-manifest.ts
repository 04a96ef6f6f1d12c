/**
 * Reading any pushed OCI manifest that is not a Helm chart: an image manifest (OCI or Docker v2),
 * an image index (OCI or a Docker manifest list), an artifact with an `artifactType`, and its
 * `subject`. What it references, the repository must hold before the PUT (docs/architecture.md,
 * "OCI distribution").
 */
import { ManifestInvalidError } from '../errors';
import type { OciAnnotation } from '../package/package.view';
import { OCI_IMAGE_MANIFEST } from './helm-oci';
import { OciDigestAlgorithm, parseAnyOciDigest } from './oci-digest';

export const OCI_IMAGE_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const INDEX_TYPES = new Set([OCI_IMAGE_INDEX, DOCKER_MANIFEST_LIST]);
const MANIFEST_TYPES = new Set([OCI_IMAGE_MANIFEST, DOCKER_MANIFEST_V2]);

/**
 * A descriptor a manifest lists: the hex of its digest (`algorithm` says which: a sha256 is the
 * store's key itself, a sha512 names content the repository keeps under its sha256), and its
 * size and media type.
 */
export interface OciDescriptor {
  mediaType: string;
  digest: string;
  algorithm: OciDigestAlgorithm;
  size: number;
}

/** A descriptor's digest as the manifest wrote it (`<algorithm>:<hex>`). */
export function descriptorDigest(d: OciDescriptor): string {
  return `${d.algorithm}:${d.digest}`;
}

export interface ParsedOciManifest {
  mediaType: string;
  /** `artifactType`, else an image manifest's config media type (what referrers report). */
  artifactType?: string;
  config: OciDescriptor | null;
  /** Layers the registry holds (uploaded before the PUT). */
  layers: OciDescriptor[];
  /**
   * Non-distributable layers (a `urls` list, or a `nondistributable`/Docker `foreign` media type):
   * clients fetch them elsewhere, so they need not be uploaded and are not referenced.
   */
  foreignLayers: OciDescriptor[];
  /** An index's entries. */
  manifests: OciDescriptor[];
  subject?: OciDescriptor;
  annotations?: Record<string, string>;
}

function descriptor(value: unknown, what: string): OciDescriptor {
  const d = value as Partial<OciDescriptor> | null;
  if (typeof d !== 'object' || d === null || Array.isArray(d))
    throw new ManifestInvalidError(`${what} is not a descriptor`);
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new ManifestInvalidError(`${what} has no mediaType`);
  if (typeof d.digest !== 'string') throw new ManifestInvalidError(`${what} has no digest`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0)
    throw new ManifestInvalidError(`${what} has no valid size`);
  const digest = parseAnyOciDigest(d.digest);
  return { mediaType: d.mediaType, digest: digest.hex, algorithm: digest.algorithm, size: d.size };
}

function descriptors(value: unknown, what: string): OciDescriptor[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ManifestInvalidError(`${what} must be an array`);
  return value.map((d, i) => descriptor(d, `${what}[${i}]`));
}

function annotationsOf(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ManifestInvalidError('annotations must be an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new ManifestInvalidError(`annotation '${k}' must be a string`);
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Parses a manifest's bytes; its media type is the body's `mediaType`, else the request's
 * `Content-Type`. ManifestInvalidError for anything that is not one of the four kinds above
 * (or whose two media types disagree), DigestInvalidError for a malformed descriptor digest.
 */
export function parseOciManifest(bytes: Buffer, contentType: string | undefined): ParsedOciManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ManifestInvalidError('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ManifestInvalidError('not a JSON object');
  const m = parsed as Record<string, unknown>;
  if (m.schemaVersion !== 2) throw new ManifestInvalidError('schemaVersion must be 2');
  const header = contentType?.split(';')[0]?.trim() || undefined;
  if (m.mediaType !== undefined && typeof m.mediaType !== 'string')
    throw new ManifestInvalidError('mediaType must be a string');
  if (typeof m.mediaType === 'string' && header !== undefined && header !== m.mediaType)
    throw new ManifestInvalidError(`Content-Type '${header}' is not the manifest's mediaType '${m.mediaType}'`);
  const mediaType =
    (m.mediaType as string | undefined) ??
    header ??
    (Array.isArray(m.manifests) ? OCI_IMAGE_INDEX : OCI_IMAGE_MANIFEST);
  if (m.artifactType !== undefined && (typeof m.artifactType !== 'string' || m.artifactType === ''))
    throw new ManifestInvalidError('artifactType must be a non-empty string');
  const subject = m.subject === undefined || m.subject === null ? undefined : descriptor(m.subject, 'subject');
  const annotations = annotationsOf(m.annotations);
  const common = {
    mediaType,
    ...(subject ? { subject } : {}),
    ...(annotations ? { annotations } : {}),
  };
  if (INDEX_TYPES.has(mediaType)) {
    const manifests = descriptors(m.manifests, 'manifests');
    const artifactType = m.artifactType as string | undefined;
    return {
      ...common,
      ...(artifactType ? { artifactType } : {}),
      config: null,
      layers: [],
      foreignLayers: [],
      manifests,
    };
  }
  if (!MANIFEST_TYPES.has(mediaType)) throw new ManifestInvalidError(`media type '${mediaType}' is not a manifest`);
  const config = descriptor(m.config, 'config');
  const all = descriptors(m.layers, 'layers');
  const foreign = (m.layers as { urls?: unknown }[] | undefined)?.map(isForeign) ?? [];
  const layers = all.filter((_, i) => !foreign[i]);
  const foreignLayers = all.filter((_, i) => foreign[i]);
  const artifactType = (m.artifactType as string | undefined) ?? config.mediaType;
  return { ...common, artifactType, config, layers, foreignLayers, manifests: [] };
}

function isForeign(layer: { urls?: unknown; mediaType?: unknown }): boolean {
  if (Array.isArray(layer.urls) && layer.urls.length > 0) return true;
  const type = String(layer.mediaType);
  return type.includes('.nondistributable.') || type.includes('.rootfs.foreign.');
}

/**
 * The most an artifact's record (its references and annotations, as JSON) may hold: it rides one
 * command and one event, and the distributed profile's Kafka refuses a message over 1 MB. About
 * 3,500 references, with room for the rest.
 */
export const MAX_OCI_ARTIFACT_RECORD_BYTES = 256 * 1024;

/** Returns `artifact` if its record fits MAX_OCI_ARTIFACT_RECORD_BYTES; ManifestInvalidError otherwise (in every profile alike). */
export function assertRecordableArtifact<T>(artifact: T): T {
  const bytes = Buffer.byteLength(JSON.stringify(artifact), 'utf8');
  if (bytes > MAX_OCI_ARTIFACT_RECORD_BYTES)
    throw new ManifestInvalidError(
      `its references and annotations take ${bytes} bytes to record, more than ${MAX_OCI_ARTIFACT_RECORD_BYTES}`,
    );
  return artifact;
}

/**
 * The annotations an artifact's record keeps: only a manifest with a `subject` shows them (in its
 * subject's referrers list), so only its are recorded; any other manifest's stay in its bytes,
 * which are served as pushed. A manifest of a few MB of annotations is thus recordable, unless it
 * is a referrer.
 */
export function recordedAnnotations(manifest: ParsedOciManifest): OciAnnotation[] | undefined {
  if (!manifest.subject || !manifest.annotations) return undefined;
  return Object.entries(manifest.annotations).map(([name, value]) => ({ name, value }));
}

/** The blobs (config and layers, not the foreign ones) a manifest references, each once. */
export function referencedBlobs(manifest: ParsedOciManifest): OciDescriptor[] {
  const all = [...(manifest.config ? [manifest.config] : []), ...manifest.layers];
  return all.filter((d, i) => all.findIndex((o) => descriptorDigest(o) === descriptorDigest(d)) === i);
}
