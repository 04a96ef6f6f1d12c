/**
 * Events of the package aggregate: facts, named in the past tense. Their wire schemas, one per
 * (type, version), live in libs/contracts/src/events.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import type { JsonValue, Visibility } from './package.view';

export interface ReleasePublished {
  type: 'ReleasePublished';
  data: {
    release: string;
    mediaType: string;
    apprDigest: string;
    blobDigest: string;
    size: number;
    metadata: JsonValue;
    chart: ChartMetadata | null;
    /** Set when a forced push replaced an existing manifest. */
    replaced: { apprDigest: string; blobDigest: string } | null;
    /** Visibility for a package this event creates; ignored for an existing package. */
    visibility: Visibility;
  };
}

export interface ReleaseDeleted {
  type: 'ReleaseDeleted';
  data: { release: string; mediaType: string; apprDigest: string; blobDigest: string };
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

export type PackageEvent = ReleasePublished | ReleaseDeleted | ReleaseAddedToChannel | ReleaseRemovedFromChannel | ChannelDeleted;

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
