import { sortReleasesDescending } from '../semver';
import { PackageView, ReleaseManifest, Visibility } from './package.view';
import { measureReleaseMetadata } from './release-metadata';

/** What listing needs of a package, without its manifests' details. */
export interface PackageSummary {
  package: string;
  namespace: string;
  name: string;
  visibility: Visibility;
  createdAt: string | null;
  updatedAt: string | null;
  /** Releases newest first (semver precedence), each with its media types. */
  releases: { release: string; mediaTypes: string[] }[];
  /** Bytes the package counts against its namespace's storage quota (`storedBytesOf`). */
  storedBytes: number;
  /** The `metadata` all its manifests hold, as compact JSON UTF-8 (`storedMetadataBytesOf`). */
  metadataBytes: number;
}

export function summarizePackage(view: PackageView): PackageSummary {
  // One pass over the manifests: a package may hold thousands of releases.
  const mediaTypesByRelease = new Map<string, string[]>();
  for (const m of view.manifests) {
    const types = mediaTypesByRelease.get(m.release);
    if (types) types.push(m.mediaType);
    else mediaTypesByRelease.set(m.release, [m.mediaType]);
  }
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    visibility: view.visibility,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    storedBytes: storedBytesOf(view),
    metadataBytes: storedMetadataBytesOf(view),
    releases: sortReleasesDescending([...mediaTypesByRelease.keys()]).map((release) => ({
      release,
      mediaTypes: mediaTypesByRelease.get(release)!.sort(),
    })),
  };
}

/** Every media type the package has a manifest of, sorted. */
export function mediaTypesOf(view: PackageView): string[] {
  return [...new Set(view.manifests.map((m) => m.mediaType))].sort();
}

/**
 * What a package counts against its namespace's storage quota: every manifest's archive as
 * pushed plus its `metadata` as compact JSON in UTF-8 (`manifestBytes`). Metadata rides every
 * view, event and listing, so it is storage like the archive is.
 */
export function storedBytesOf(view: Pick<PackageView, 'manifests' | 'ociArtifacts'>): number {
  let sum = 0;
  for (const m of view.manifests) sum += manifestBytes(m);
  for (const a of view.ociArtifacts ?? []) sum += a.storedBytes ?? 0;
  return sum;
}

/** The archive's bytes plus the metadata's as compact JSON UTF-8 (none for null metadata). */
export function manifestBytes(manifest: Pick<ReleaseManifest, 'size' | 'metadata' | 'provenanceSize'>): number {
  return manifest.size + (manifest.provenanceSize ?? 0) + metadataBytes(manifest.metadata);
}

/**
 * The `metadata` all of a package's manifests hold together, as compact JSON UTF-8: what
 * `PushRelease.maxPackageMetadataBytes` bounds, since every byte of it rides the package's one
 * view (one document in metadata-mongo, where a document stops at 16 MB) and every read of it.
 */
export function storedMetadataBytesOf(view: Pick<PackageView, 'manifests'>): number {
  let sum = 0;
  for (const m of view.manifests) sum += metadataBytes(m.metadata);
  return sum;
}

/** The bytes of one release's `metadata` as compact JSON UTF-8 (0 for null). */
export function metadataBytes(metadata: ReleaseManifest['metadata'] | undefined): number {
  if (metadata === null || metadata === undefined) return 0;
  if (typeof metadata !== 'object') return measureReleaseMetadata(metadata, UNBOUNDED);
  let bytes = measuredMetadata.get(metadata);
  if (bytes === undefined) {
    bytes = measureReleaseMetadata(metadata, UNBOUNDED);
    measuredMetadata.set(metadata, bytes);
  }
  return bytes;
}

/** Stored metadata was bounded when it was pushed: measured here by the same rule, unbounded. */
const UNBOUNDED = { maxBytes: Infinity, maxDepth: Infinity };

/**
 * Measured metadata, by object. Views are never mutated and keep their manifests' objects from
 * one event to the next (metadata-sqlite keeps parsed views in memory), so storing a package of
 * 11,738 releases measures only the new release's metadata, not all of it again (26 ms a put).
 */
const measuredMetadata = new WeakMap<object, number>();
