/**
 * Commands to the package aggregate: imperative requests that may be refused. Time and ids
 * arrive here, so the decider reads no clock and makes no ids.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import type { JsonValue, OciArtifact, OciDigests, Visibility } from './package.view';

export interface CommandMeta {
  commandId: string;
  correlationId: string;
  /** ISO-8601 instant at which the gateway accepted the request. */
  issuedAt: string;
}

export interface ReleaseContent {
  apprDigest: string;
  blobDigest: string;
  size: number;
  chart: ChartMetadata | null;
  /** Digest of a provenance file stored with the chart (Helm `.prov`), if one was uploaded. */
  provenanceDigest?: string;
  /** Its length in bytes: it counts in the namespace's storage quota with the archive. */
  provenanceSize?: number;
  /** The manifest and config of a push over OCI, stored as blobs before the command is sent. */
  oci?: OciDigests;
}

export interface PushRelease {
  type: 'PushRelease';
  package: string;
  release: string;
  mediaType: string;
  content: ReleaseContent;
  metadata: JsonValue;
  force: boolean;
  /** Visibility of the package this push creates (the caller's choice, or the registry's default). */
  visibility: Visibility;
  /**
   * True when the caller asked for `visibility` (only a namespace admin may): a push into an
   * existing package whose visibility differs is then refused rather than silently ignored.
   */
  visibilityRequested?: boolean;
  /**
   * False where the namespace forbids overwrites: a release deleted earlier may be pushed again
   * only with the bytes it had (absent: true).
   */
  allowOverwrites?: boolean;
  /**
   * The namespace's storage quota in bytes, which the writer reserves across all of the
   * namespace's packages before it appends (absent or 0: none).
   */
  namespaceQuotaBytes?: number;
  /**
   * The most `metadata` all of the package's releases may hold together, as compact JSON (absent
   * or 0: no bound), so no package's view grows without end by metadata.
   */
  maxPackageMetadataBytes?: number;
  meta: CommandMeta;
}

/** Why a release was deleted, when not by a caller's request: recorded in the ReleaseDeleted event. */
export interface DeleteReason {
  kind: 'retention';
  /** Id of the namespace's retention policy the deletion was made under. */
  policy: string;
}

/**
 * What a retention run saw when it planned a delete (not recorded in the event): the writer
 * refuses the delete with RetentionSupersededError when the manifest no longer has these bytes
 * or the release has become a channel's current release since.
 */
export interface RetentionGuard {
  blobDigest: string;
}

export interface DeleteRelease {
  type: 'DeleteRelease';
  package: string;
  release: string;
  mediaType: string;
  /** Absent: a caller asked for it. */
  reason?: DeleteReason;
  /** Present on retention deletes only: the state the run planned against. */
  guard?: RetentionGuard;
  meta: CommandMeta;
}

export interface AddReleaseToChannel {
  type: 'AddReleaseToChannel';
  package: string;
  channel: string;
  release: string;
  meta: CommandMeta;
}

export interface RemoveReleaseFromChannel {
  type: 'RemoveReleaseFromChannel';
  package: string;
  channel: string;
  release: string;
  meta: CommandMeta;
}

export interface DeleteChannel {
  type: 'DeleteChannel';
  package: string;
  channel: string;
  meta: CommandMeta;
}

/** Makes the package public or private; changes nothing when it already is. */
export interface SetVisibility {
  type: 'SetVisibility';
  package: string;
  visibility: Visibility;
  meta: CommandMeta;
}

/** One release of an ImportReleases command: what a push would record, without a push's options. */
export interface ImportedRelease {
  release: string;
  mediaType: string;
  content: ReleaseContent;
  metadata: JsonValue;
  /** When the source created it (ISO instant, not after the command): kept as the manifest's createdAt. */
  createdAt?: string;
}

/** A channel an import recreates: its releases in the order they were added, and its current one. */
export interface ImportedChannel {
  name: string;
  releases: string[];
  current: string;
}

/**
 * Many releases of one package at once, for bulk seeding (`npm run import`): an administrator's
 * command, so no quota or per-package metadata bound applies. Idempotent by content, so an
 * import run again after a crash adds only what is missing: a release and media type already
 * held with the same digests is skipped, one held with other digests is a conflict (reported,
 * never overwritten); the rest are published. `channels` are recreated over the releases the
 * package then holds.
 */
export interface ImportReleases {
  type: 'ImportReleases';
  package: string;
  releases: ImportedRelease[];
  channels?: ImportedChannel[];
  /** Visibility of the package when this import creates it; an existing package keeps its own. */
  visibility: Visibility;
  meta: CommandMeta;
}

/**
 * Stores an OCI manifest that is not a release (its bytes and blobs are stored already), and
 * with `tag` points that tag at it. Idempotent: the same manifest again adds nothing.
 */
export interface PutOciManifest {
  type: 'PutOciManifest';
  package: string;
  artifact: Omit<OciArtifact, 'tags' | 'createdAt'>;
  tag: string | null;
  /**
   * The release `tag` names over OCI if the package holds it (a helm release's tag): the put is
   * refused then, so one tag never names a release and an artifact. Null when the tag could not.
   */
  tagNamesRelease: { release: string; mediaType: string } | null;
  /** Visibility of the package this push creates. */
  visibility: Visibility;
  /** The namespace's storage quota in bytes, as PushRelease's (absent or 0: none). */
  namespaceQuotaBytes?: number;
  meta: CommandMeta;
}

/** Deletes an OCI artifact by digest, with its tags. */
export interface DeleteOciManifest {
  type: 'DeleteOciManifest';
  package: string;
  digest: string;
  meta: CommandMeta;
}

/** Deletes a tag of an OCI artifact; the artifact stays, reachable by digest. */
export interface DeleteOciTag {
  type: 'DeleteOciTag';
  package: string;
  tag: string;
  meta: CommandMeta;
}

export type PackageCommand =
  | PushRelease
  | DeleteRelease
  | AddReleaseToChannel
  | RemoveReleaseFromChannel
  | DeleteChannel
  | SetVisibility
  | ImportReleases
  | PutOciManifest
  | DeleteOciManifest
  | DeleteOciTag;
