/**
 * The state of one package, folded from its events. It is both the decider's state and the
 * document the metadata projection stores, so the write side and the read side can never
 * disagree about what a package holds. Collections are arrays, not maps keyed by user input:
 * release strings contain dots, which document stores refuse as keys, and a channel may be
 * named `__proto__`.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { InvalidUsageError } from '../errors';
import { splitPackageName } from '../names';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ReleaseManifest {
  release: string;
  mediaType: string;
  /** sha256 (hex) of the gunzipped tar: the appr digest clients see as `content.digest`. */
  apprDigest: string;
  /** sha256 (hex) of the .tgz bytes as pushed: the blob store key, Helm's and OCI's digest. */
  blobDigest: string;
  size: number;
  metadata: JsonValue;
  chart: ChartMetadata | null;
  /** sha256 (hex) of the Helm provenance file (`.prov`) uploaded with the chart, stored as a blob; absent when none. */
  provenanceDigest?: string;
  /** Its length in bytes (absent for releases recorded before it was kept). */
  provenanceSize?: number;
  /** The OCI manifest and config a client pushed this release with (`helm push oci://`); absent otherwise. */
  oci?: OciDigests;
  createdAt: string;
}

/** The blobs of a release pushed over OCI: the manifest's and the config's bytes as the client sent them. */
export interface OciDigests {
  /** sha256 (hex) of the manifest's bytes. */
  manifestDigest: string;
  /** sha256 (hex) of the config's bytes. */
  configDigest: string;
}

/**
 * An OCI manifest that is not a Helm chart release (an image, an image index, an artifact with an
 * `artifactType`, a signature or SBOM naming a `subject`), pushed over `/v2/`. Its bytes are a
 * blob under `digest`; what it references are blobs (`blobs`: config and layers) and manifests
 * of the same repository (`manifests`: an index's entries).
 */
export interface OciArtifact {
  /** sha256 (hex) of the manifest's bytes. */
  digest: string;
  mediaType: string;
  /** `artifactType`, or for an image manifest without one its config's media type (what referrers report). */
  artifactType?: string;
  size: number;
  /** sha256 (hex) of the manifest this one refers to (`subject`), if any. */
  subject?: string;
  /** sha256 (hex) of the config and layers. */
  blobs: string[];
  /** sha256 (hex) of the manifests an index lists. */
  manifests: string[];
  /**
   * The manifest's annotations (reported by referrers), as pairs in the manifest's order: their
   * keys contain dots, which document stores refuse as keys.
   */
  annotations?: OciAnnotation[];
  /** Bytes it counts against the namespace's storage quota: its manifest, config and layers as stored (absent: 0). */
  storedBytes?: number;
  /**
   * The sha512 digests it was pushed by or names (its own, its blobs', an index's entries'), each
   * with the sha256 (hex) the stores key that content by; absent: none.
   */
  aliases?: OciDigestAlias[];
  /** Tags that name it now. */
  tags: string[];
  createdAt: string;
}

/** A digest of another algorithm than sha256 (`sha512:<hex>`) and the sha256 (hex) of the same content. */
export interface OciDigestAlias {
  digest: string;
  key: string;
}

export interface OciAnnotation {
  name: string;
  value: string;
}

export interface ChannelRecord {
  name: string;
  current: string;
  /** Distinct releases, in the order they were added. */
  releases: string[];
}

export type Visibility = 'public' | 'private';

/**
 * What a deleted manifest leaves behind: the bytes its release and media type had, so that a
 * namespace that forbids overwrites (now or later) can refuse other bytes under the same name.
 */
export interface ReleaseTombstone {
  release: string;
  mediaType: string;
  /** sha256 (hex) of the .tgz bytes the deleted manifest had. */
  blobDigest: string;
}

/** Returns `value` as a Visibility; InvalidUsageError(field) for anything else. */
export function parseVisibility(value: unknown, field = 'visibility'): Visibility {
  if (value !== 'public' && value !== 'private')
    throw new InvalidUsageError(`'${field}' must be 'public' or 'private'`, { field });
  return value;
}

export interface PackageView {
  package: string;
  namespace: string;
  name: string;
  /** Sequence of the last event folded in; 0 for a package that has never had an event. */
  sequence: number;
  createdAt: string | null;
  updatedAt: string | null;
  visibility: Visibility;
  manifests: ReleaseManifest[];
  channels: ChannelRecord[];
  /** Ids of the last commands applied, newest last, so a redelivered command changes nothing. */
  recentCommands: string[];
  /**
   * One per (release, media type) that was deleted and has no manifest now, with the digest it
   * had when deleted (the last deletion's, if it was deleted several times). Absent when there
   * is none, so a package that never lost a release keeps the shape it always had; views stored
   * before tombstones existed lack those of earlier deletes until the projection is replayed.
   * Bounded: at most one per distinct (release, media type) the package ever held.
   */
  tombstones?: ReleaseTombstone[];
  /** OCI manifests that are not releases (absent while there is none): not shown by appr or Helm. */
  ociArtifacts?: OciArtifact[];
}

export const RECENT_COMMANDS_KEPT = 64;

export function emptyPackageView(pkg: string): PackageView {
  const { namespace, name } = splitPackageName(pkg);
  return {
    package: pkg,
    namespace,
    name,
    sequence: 0,
    createdAt: null,
    updatedAt: null,
    visibility: 'public',
    manifests: [],
    channels: [],
    recentCommands: [],
  };
}

/** A package exists while it has at least one release. */
export function packageExists(view: PackageView | null): view is PackageView {
  return view !== null && view.manifests.length > 0;
}

/** An OCI repository exists while its package has a release or an OCI artifact. */
export function ociRepositoryExists(view: PackageView | null): view is PackageView {
  return view !== null && (view.manifests.length > 0 || (view.ociArtifacts?.length ?? 0) > 0);
}

/** `ociRepositoryExists` by a package's head: it holds a release (its release index) or an OCI artifact. */
export function ociRepositoryHeadExists<H extends Pick<PackageView, 'ociArtifacts'> & { releases: readonly unknown[] }>(
  head: H | null,
): head is H {
  return head !== null && (head.releases.length > 0 || (head.ociArtifacts?.length ?? 0) > 0);
}

export function findOciArtifact(view: Pick<PackageView, 'ociArtifacts'>, digest: string): OciArtifact | undefined {
  return view.ociArtifacts?.find((a) => a.digest === digest);
}

export function findOciTag(view: Pick<PackageView, 'ociArtifacts'>, tag: string): OciArtifact | undefined {
  return view.ociArtifacts?.find((a) => a.tags.includes(tag));
}

export function releaseNames(view: PackageView): string[] {
  return [...new Set(view.manifests.map((m) => m.release))];
}

export function manifestsOf(view: PackageView, release: string): ReleaseManifest[] {
  return view.manifests.filter((m) => m.release === release);
}

export function findManifest(view: PackageView, release: string, mediaType: string): ReleaseManifest | undefined {
  return view.manifests.find((m) => m.release === release && m.mediaType === mediaType);
}

/** The tombstone of a deleted (release, media type), if it has no manifest now. */
export function findTombstone(view: PackageView, release: string, mediaType: string): ReleaseTombstone | undefined {
  return view.tombstones?.find((t) => t.release === release && t.mediaType === mediaType);
}

export function findChannel(view: Pick<PackageView, 'channels'>, channel: string): ChannelRecord | undefined {
  return view.channels.find((c) => c.name === channel);
}

/** Channels whose current release is `release`. */
export function channelsPointingAt(view: Pick<PackageView, 'channels'>, release: string): string[] {
  return view.channels.filter((c) => c.current === release).map((c) => c.name);
}
