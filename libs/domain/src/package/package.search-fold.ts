/**
 * The search projection's fold on a package's search document, not its view: each event changes
 * the document and names the rows to write, in time independent of the package's size. Two
 * fields may need the stored rows afterwards: after a delete, `releasedAt` (the newest row may
 * be the one deleted) and, after a delete or re-push of the describing manifest, the
 * description. The fold marks them (`needs`) and `settleSearchDocument` completes them from
 * the newest stored rows and the rows the events wrote.
 */
import { compareReleasesDescending, releaseSortKey } from '../semver';
import type { PackageEvent, RecordedEvent, ReleasePublished } from './package.events';
import { manifestPublishedBy } from './package.decider';
import { manifestRowKey } from './package.head';
import { emptyPackageView } from './package.view';
import {
  SearchDocument,
  SearchRow,
  SearchRowKey,
  describingRow,
  newestRow,
  searchChartOf,
  searchDocumentFrom,
} from './package.search-document';

/** What a run of events does to a package's search document and rows. */
export interface SearchChanges {
  document: SearchDocument;
  /** Rows published (new, or replacing one of the same release and media type), the last of each. */
  rows: SearchRow[];
  /** Rows the package no longer holds. */
  deletedRows: SearchRowKey[];
  /** Fields the stored rows must settle (`settleSearchDocument`). */
  needs: { releasedAt: boolean; describedBy: boolean };
}

/** The newest stored rows, apart from those the events wrote or deleted (what the index's `newestRows` gives). */
export interface StoredSearchRows {
  /** The one with the latest `createdAt`. */
  newest: SearchRow | null;
  /** The one a description would come from (`describingRow`). */
  described: SearchRow | null;
}

/** The document of a package before its first event. */
export function emptySearchDocument(pkg: string): SearchDocument {
  return searchDocumentFrom(emptyPackageView(pkg));
}

/** Folds `events` (in order, each the next of its package) into `before`, a document in the rows layout. */
export function foldSearchEvents(before: SearchDocument, events: readonly RecordedEvent[]): SearchChanges {
  let doc = before;
  const rows = new Map<string, SearchRow>();
  const deleted = new Map<string, SearchRowKey>();
  const needs = { releasedAt: false, describedBy: false };
  for (const event of events) {
    const e = { type: event.type, data: event.data } as PackageEvent;
    switch (e.type) {
      case 'ReleasePublished': {
        const manifest = manifestPublishedBy(event as RecordedEvent<ReleasePublished>);
        const row: SearchRow = {
          release: manifest.release,
          mediaType: manifest.mediaType,
          sequence: event.sequence,
          createdAt: manifest.createdAt,
          releaseKey: releaseSortKey(manifest.release),
          chart: searchChartOf(manifest.chart),
        };
        const rowKey = manifestRowKey(row.release, row.mediaType);
        deleted.delete(rowKey);
        rows.delete(rowKey); // re-inserted last: the map keeps publication order
        rows.set(rowKey, row);
        const replaced = e.data.replaced !== null;
        const wasEmpty = !doc.active;
        const counts = replaced ? doc.manifestCounts : countsWith(doc.manifestCounts, row.mediaType, 1);
        let releasedAt = doc.releasedAt ?? null;
        if (releasedAt === null || row.createdAt >= releasedAt) releasedAt = row.createdAt;
        else if (replaced) needs.releasedAt = true;
        const describer = doc.describedBy;
        const replacesDescriber =
          replaced && describer?.release === row.release && describer.mediaType === row.mediaType;
        if (replacesDescriber) needs.describedBy = true;
        let described: Pick<SearchDocument, 'description' | 'keywords' | 'describedBy'> = {
          description: doc.description,
          keywords: doc.keywords,
          describedBy: doc.describedBy,
        };
        if (row.chart && (describer === null || compareReleasesDescending(row.release, describer.release) < 0)) {
          described = { description: row.chart.description, keywords: row.chart.keywords, describedBy: key(row) };
        }
        doc = {
          ...doc,
          active: true,
          visibility: wasEmpty ? e.data.visibility : doc.visibility,
          ...described,
          mediaTypes: mediaTypesOfCounts(counts),
          releasedAt,
          manifestCounts: counts,
        };
        break;
      }
      case 'ReleaseDeleted': {
        const { release, mediaType } = e.data;
        const k = manifestRowKey(release, mediaType);
        rows.delete(k);
        deleted.set(k, { release, mediaType });
        const counts = countsWith(doc.manifestCounts, mediaType, -1);
        if (counts.length === 0) {
          needs.releasedAt = needs.describedBy = false;
          doc = {
            ...doc,
            active: false,
            description: '',
            keywords: [],
            mediaTypes: [],
            releasedAt: null,
            manifestCounts: [],
            describedBy: null,
          };
          break;
        }
        needs.releasedAt = true;
        if (doc.describedBy?.release === release && doc.describedBy.mediaType === mediaType) needs.describedBy = true;
        doc = { ...doc, mediaTypes: mediaTypesOfCounts(counts), manifestCounts: counts };
        break;
      }
      case 'PackageVisibilityChanged':
        doc = { ...doc, visibility: e.data.visibility };
        break;
      case 'ReleaseAddedToChannel':
      case 'ReleaseRemovedFromChannel':
      case 'ChannelDeleted':
      case 'OciManifestPushed':
      case 'OciManifestDeleted':
      case 'OciTagged':
      case 'OciUntagged':
        break;
      default: {
        const unknown: never = e;
        throw new Error(`unknown event ${(unknown as { type: string }).type}`);
      }
    }
    doc = { ...doc, sequence: event.sequence, updatedAt: event.occurredAt };
  }
  return { document: doc, rows: [...rows.values()], deletedRows: [...deleted.values()], needs };
}

/**
 * The document of `changes` with the fields it needs settled from `stored` (the newest rows
 * the index holds apart from those the changes touch) and the rows the changes wrote.
 */
export function settleSearchDocument(changes: SearchChanges, stored: StoredSearchRows): SearchDocument {
  let doc = changes.document;
  if (changes.needs.releasedAt) {
    doc = { ...doc, releasedAt: newestRow([stored.newest, ...changes.rows])?.createdAt ?? null };
  }
  if (changes.needs.describedBy) {
    const row = describingRow([stored.described, ...changes.rows]);
    doc = {
      ...doc,
      description: row?.chart?.description ?? '',
      keywords: row?.chart?.keywords ?? [],
      describedBy: row ? key(row) : null,
    };
  }
  return doc;
}

/** Whether `changes` need the stored rows to settle. */
export function needsStoredRows(changes: SearchChanges): boolean {
  return changes.needs.releasedAt || changes.needs.describedBy;
}

function key(row: SearchRowKey): SearchRowKey {
  return { release: row.release, mediaType: row.mediaType };
}

/** The counts with `delta` added to `mediaType`'s; a media type left with none goes. */
function countsWith(counts: SearchDocument['manifestCounts'], mediaType: string, delta: number) {
  const next = counts.map((c) => (c.mediaType === mediaType ? { mediaType, count: c.count + delta } : c));
  if (!counts.some((c) => c.mediaType === mediaType)) {
    next.push({ mediaType, count: delta });
    next.sort((a, b) => (a.mediaType < b.mediaType ? -1 : a.mediaType > b.mediaType ? 1 : 0));
  }
  return next.filter((c) => c.count > 0);
}

function mediaTypesOfCounts(counts: SearchDocument['manifestCounts']): string[] {
  return counts.map((c) => c.mediaType);
}
