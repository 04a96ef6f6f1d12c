/**
 * Test data for the port contract suites: valid event envelopes, package views folded with the
 * real `evolve`, and search documents. Every field has a default and can be overridden. The
 * events themselves are the event factories of decider-spec.ts with the suites' own defaults.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  JsonValue,
  ManifestChanges,
  PackageEvent,
  PackageView,
  ReleaseDeleted,
  ReleasePublished,
  Visibility,
  emptyPackageView,
  evolve,
  evolveAll,
  manifestChanges,
  releaseSortKey,
  searchDocumentFrom,
} from '@wharf/domain';
import { EventEnvelope, currentEventVersion, validateForProduce } from '@wharf/contracts';
import type { SearchDocument, SearchRow } from '@wharf/ports';
import { deleted, published } from '../decider-spec';

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

export interface ReleaseOptions {
  release?: string;
  mediaType?: string;
  description?: string;
  keywords?: string[];
  visibility?: Visibility;
  metadata?: JsonValue;
}

/** A publish as the contract suites want it: digests of its own per (release, media type), a chart and metadata. */
export function releasePublished(options: ReleaseOptions = {}): ReleasePublished {
  const release = options.release ?? '1.0.0';
  const mediaType = options.mediaType ?? 'helm';
  return published({
    release,
    mediaType,
    ...digestsOf(release, mediaType),
    size: 1024,
    metadata: options.metadata ?? { release },
    chart: {
      apiVersion: 'v2',
      name: 'app',
      version: release,
      description: options.description ?? '',
      keywords: options.keywords ?? [],
    },
    visibility: options.visibility ?? 'public',
  });
}

/** Deletes a manifest published by `releasePublished` with the same release and media type. */
export function releaseDeleted(release = '1.0.0', mediaType = 'helm'): ReleaseDeleted {
  return deleted({ release, mediaType, ...digestsOf(release, mediaType) });
}

function digestsOf(release: string, mediaType: string) {
  return {
    apprDigest: sha256Hex(`appr ${release} ${mediaType}`),
    blobDigest: sha256Hex(`blob ${release} ${mediaType}`),
  };
}

/** Valid envelopes continuing `pkg`'s stream after `lastSequence`, each with a fresh id. */
export function eventEnvelopes(pkg: string, lastSequence: number, events: PackageEvent[]): EventEnvelope[] {
  return events.map((event, i) => {
    const sequence = lastSequence + i + 1;
    return validateForProduce({
      type: event.type,
      version: currentEventVersion(event.type),
      id: randomUUID(),
      occurredAt: new Date(Date.UTC(2024, 0, 1) + sequence * 60_000).toISOString(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      package: pkg,
      sequence,
      data: event.data,
    } as EventEnvelope);
  });
}

/** `count` ReleasePublished envelopes (releases 1.<sequence>.0) continuing the stream. */
export function publishedEnvelopes(pkg: string, lastSequence: number, count: number): EventEnvelope[] {
  const events = Array.from({ length: count }, (_, i) => releasePublished({ release: `1.${lastSequence + i + 1}.0` }));
  return eventEnvelopes(pkg, lastSequence, events);
}

/** The view `pkg` has after `events`, folded with the domain's own `evolve`. */
export function packageView(pkg: string, events: PackageEvent[]): PackageView {
  return eventEnvelopes(pkg, 0, events).reduce(evolve, emptyPackageView(pkg));
}

/** `view` continued by `events` (as the writer folds them), with the manifest changes a put of it carries. */
export function packageViewAfter(
  view: PackageView,
  events: PackageEvent[],
): { view: PackageView; changes: ManifestChanges } {
  const envelopes = eventEnvelopes(view.package, view.sequence, events);
  const next = evolveAll(view, envelopes);
  return { view: next, changes: manifestChanges(next, envelopes) };
}

export interface SearchDocumentOptions {
  sequence?: number;
  /** False: the package's last release was deleted. */
  active?: boolean;
  visibility?: Visibility;
  description?: string;
  keywords?: string[];
  mediaTypes?: string[];
  /** Its newest release's time, instead of the one its events give; undefined: left out, as documents stored before the field existed. */
  releasedAt?: string | null;
}

export function searchDocument(pkg: string, options: SearchDocumentOptions = {}): SearchDocument {
  const mediaTypes = options.mediaTypes ?? ['helm'];
  const published = mediaTypes.map((mediaType) =>
    releasePublished({
      mediaType,
      visibility: options.visibility,
      description: options.description,
      keywords: options.keywords,
    }),
  );
  const removed = options.active === false ? mediaTypes.map((mediaType) => releaseDeleted('1.0.0', mediaType)) : [];
  const folded = packageView(pkg, [...published, ...removed]);
  const doc = searchDocumentFrom({ ...folded, sequence: options.sequence ?? folded.sequence });
  if (!('releasedAt' in options)) return doc;
  const { releasedAt: _derived, ...undated } = doc;
  return options.releasedAt === undefined ? undated : { ...undated, releasedAt: options.releasedAt };
}

export interface SearchRowOptions {
  mediaType?: string;
  sequence?: number;
  createdAt?: string;
  /** Its chart's description (keywords: `[description]`); null: a manifest without chart metadata. */
  description?: string | null;
}

/** A search row of `release` (helm, sequence 1, a chart described as "about <release>" by default). */
export function searchRow(release: string, options: SearchRowOptions = {}): SearchRow {
  const description = options.description === undefined ? `about ${release}` : options.description;
  return {
    release,
    mediaType: options.mediaType ?? 'helm',
    sequence: options.sequence ?? 1,
    createdAt: options.createdAt ?? '2026-01-01T00:00:00.000Z',
    releaseKey: releaseSortKey(release),
    chart: description === null ? null : { description, keywords: [description] },
  };
}
