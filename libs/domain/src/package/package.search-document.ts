/**
 * What is searchable about a package: its name, and the description and keywords of its newest
 * release that carries chart metadata. The search index keeps it as a small document per
 * package (`SearchDocument`, the head) and one row per (release, media type) (`SearchRow`);
 * the search projector folds events into both (`package.search-fold.ts`), so a push's cost does
 * not grow with the package (measured: the same at 1,000 and 10,000 releases). `searchDocumentFrom` derives both from a
 * whole view: what the fold must equal, and how a document of the former layout moves to rows.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { InvalidUsageError } from '../errors';
import { compareReleasesDescending, releaseSortKey } from '../semver';
import { mediaTypesOf } from './package.summary';
import { PackageView, packageExists } from './package.view';

/** What the search index keeps per package: the searchable fields and what the fold needs to keep them. */
export interface SearchDocument {
  package: string;
  namespace: string;
  name: string;
  /** Last event sequence folded in; a document never moves backwards. */
  sequence: number;
  /** False once the package has no release left; inactive documents are never returned. */
  active: boolean;
  visibility: 'public' | 'private';
  description: string;
  keywords: string[];
  mediaTypes: string[];
  updatedAt: string | null;
  /**
   * When its newest release was pushed (the latest `createdAt` of its manifests; an imported
   * release keeps its original time); null without releases. What a search sorted by recency
   * orders by. Documents stored before this field existed lack it (undefined): they sort after
   * every dated one until the package's next event or a replay (`npm run replay -- search`).
   */
  releasedAt?: string | null;
  /** The package's manifests per media type, by media type: what `mediaTypes` and `active` follow. */
  manifestCounts: { mediaType: string; count: number }[];
  /**
   * The manifest `description` and `keywords` come from: of the highest release (SemVer) whose
   * manifests carry chart metadata, the first such manifest published; null when none does.
   */
  describedBy: SearchRowKey | null;
  /**
   * Only on documents stored by releases before rows existed: the package's whole view, and
   * neither `manifestCounts` nor `describedBy`. The projector moves such a package to rows on
   * its next event (`searchDocumentFrom` and `searchRowsOf` of the view).
   */
  view?: PackageView;
}

/** A (release, media type) of a package. */
export interface SearchRowKey {
  release: string;
  mediaType: string;
}

/** What the search index keeps per (release, media type): what the document's fields are derived from. */
export interface SearchRow extends SearchRowKey {
  /** Sequence of the event that published it: orders a release's manifests as the view does. */
  sequence: number;
  createdAt: string;
  /** `releaseSortKey(release)`: the store orders releases by it. */
  releaseKey: string;
  /** Its chart's description and keywords; null when the manifest carries no chart metadata. */
  chart: { description: string; keywords: string[] } | null;
}

/** The document and the rows of a view (the former layout's documents, and tests). */
export function searchDocumentFrom(view: PackageView): SearchDocument {
  const rows = searchRowsOf(view);
  const described = describingRow(rows);
  const counts = new Map<string, number>();
  for (const m of view.manifests) counts.set(m.mediaType, (counts.get(m.mediaType) ?? 0) + 1);
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    sequence: view.sequence,
    active: packageExists(view),
    visibility: view.visibility,
    description: described?.chart?.description ?? '',
    keywords: described?.chart?.keywords ?? [],
    mediaTypes: mediaTypesOf(view),
    updatedAt: view.updatedAt,
    releasedAt: newestReleaseTime(view),
    manifestCounts: [...counts.keys()].sort().map((mediaType) => ({ mediaType, count: counts.get(mediaType)! })),
    describedBy: described ? { release: described.release, mediaType: described.mediaType } : null,
  };
}

/** A view's manifests as rows, ordered (`sequence`) by their place in the view, which is publication order. */
export function searchRowsOf(view: PackageView): SearchRow[] {
  return view.manifests.map((m, i) => ({
    release: m.release,
    mediaType: m.mediaType,
    sequence: i,
    createdAt: m.createdAt,
    releaseKey: releaseSortKey(m.release),
    chart: searchChartOf(m.chart),
  }));
}

/** What a row keeps of a manifest's chart metadata. */
export function searchChartOf(chart: ChartMetadata | null): SearchRow['chart'] {
  return chart ? { description: chart.description ?? '', keywords: chart.keywords ?? [] } : null;
}

/** The row a document's description comes from among `rows` (any order): see `describedBy`. */
export function describingRow(rows: readonly (SearchRow | null)[]): SearchRow | null {
  let best: SearchRow | null = null;
  for (const row of rows) {
    if (!row?.chart) continue;
    if (!best) best = row;
    else {
      const order = compareReleasesDescending(row.release, best.release);
      if (order < 0 || (order === 0 && row.sequence < best.sequence)) best = row;
    }
  }
  return best;
}

/** The row pushed last among `rows` (the latest `createdAt`, as text; ties: any). */
export function newestRow(rows: readonly (SearchRow | null)[]): SearchRow | null {
  let newest: SearchRow | null = null;
  for (const row of rows) if (row && (newest === null || row.createdAt > newest.createdAt)) newest = row;
  return newest;
}

/** How search results are ordered: best match first, or newest release first. */
export const SEARCH_SORTS = ['relevance', 'recent'] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** Returns `value` as a SearchSort; InvalidUsageError(field) for anything else. */
export function parseSearchSort(value: unknown, field = 'sort'): SearchSort {
  if (!SEARCH_SORTS.includes(value as SearchSort))
    throw new InvalidUsageError(`'${field}' must be one of ${SEARCH_SORTS.join(', ')}`, { field });
  return value as SearchSort;
}

/** The time of the package's newest release (its manifests' latest `createdAt`), null without any. */
export function newestReleaseTime(view: PackageView): string | null {
  let newest: string | null = null;
  for (const m of view.manifests) if (newest === null || m.createdAt > newest) newest = m.createdAt;
  return newest;
}
