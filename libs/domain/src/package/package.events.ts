/**
 * Events of the package aggregate: facts, named in the past tense. Their wire schemas, one per
 * (type, version), live in libs/contracts/src/events.
 */
import type { DeleteReason } from './package.commands';
import type { OciArtifact, OciDigests, ReleaseManifest, Visibility } from './package.view';

/** The manifest a push records, as the event carries it (the time is the event's own). */
export type PublishedManifest = Omit<ReleaseManifest, 'createdAt'>;

export interface ReleasePublished {
  type: 'ReleasePublished';
  data: PublishedManifest & {
    /** Set when a forced push replaced an existing manifest. */
    replaced: { apprDigest: string; blobDigest: string; provenanceDigest?: string; oci?: OciDigests } | null;
    /**
     * Visibility for a package this event creates. For a package that had events the decider
     * writes the package's own visibility here, so a push into a package emptied by deletes
     * leaves it as it was; `evolve` reads it only when the package has no manifests.
     */
    visibility: Visibility;
    /**
     * Added compatibly (optional): when the release was created at the source an import brought
     * it from (ISO instant, not after the event). The manifest's `createdAt` is this, else the
     * event's own time. Never set by a push.
     */
    createdAt?: string;
  };
}

export interface ReleaseDeleted {
  type: 'ReleaseDeleted';
  data: Pick<ReleaseManifest, 'release' | 'mediaType' | 'apprDigest' | 'blobDigest' | 'provenanceDigest' | 'oci'> & {
    /** Absent: a caller asked for it; otherwise why the registry deleted it (retention, and the policy). */
    reason?: DeleteReason;
  };
}

/** Creates the channel if needed and makes `release` its current release. */
export interface ReleaseAddedToChannel {
  type: 'ReleaseAddedToChannel';
  data: { channel: string; release: string };
}

/** `current` is the channel's new current release, or null when none remain. */
export interface ReleaseRemovedFromChannel {
  type: 'ReleaseRemovedFromChannel';
  data: { channel: string; release: string; current: string | null };
}

export interface ChannelDeleted {
  type: 'ChannelDeleted';
  data: { channel: string };
}

export interface PackageVisibilityChanged {
  type: 'PackageVisibilityChanged';
  data: { visibility: Visibility };
}

/** An OCI manifest that is not a release was stored (its bytes are a blob already). */
export interface OciManifestPushed {
  type: 'OciManifestPushed';
  data: Omit<OciArtifact, 'tags' | 'createdAt'> & {
    /** Visibility for a package this event creates (the package's own otherwise, as ReleasePublished). */
    visibility: Visibility;
  };
}

/** The artifact and its tags are gone; `blobs` and `manifests` say which references it held. */
export interface OciManifestDeleted {
  type: 'OciManifestDeleted';
  data: Pick<OciArtifact, 'digest' | 'blobs' | 'manifests'>;
}

/** `tag` names the artifact `digest` now (moved from any other). */
export interface OciTagged {
  type: 'OciTagged';
  data: { tag: string; digest: string };
}

export interface OciUntagged {
  type: 'OciUntagged';
  data: { tag: string };
}

export type PackageEvent =
  | ReleasePublished
  | ReleaseDeleted
  | ReleaseAddedToChannel
  | ReleaseRemovedFromChannel
  | ChannelDeleted
  | PackageVisibilityChanged
  | OciManifestPushed
  | OciManifestDeleted
  | OciTagged
  | OciUntagged;

export type PackageEventType = PackageEvent['type'];

/** What the log stores for each event: the fact plus its place in the package's stream. */
export interface RecordedEvent<E extends PackageEvent = PackageEvent> {
  type: E['type'];
  data: E['data'];
  package: string;
  sequence: number;
  occurredAt: string;
  /** Id of the command that caused the event. */
  causationId: string;
}
