/**
 * What is searchable about a package, derived from its view: its name, and the description
 * and keywords of its newest release that carries chart metadata. The search projector folds
 * events into it; the `SearchIndex` port stores it.
 */
import type { ChartMetadata } from '../archive/chart-metadata';
import { InvalidUsageError } from '../errors';
import { sortReleasesDescending } from '../semver';
import { mediaTypesOf } from './package.summary';
import { PackageView, packageExists, releaseNames } from './package.view';

/** What the search service keeps per package: the searchable fields and the view they came from. */
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
  releases: string[];
  updatedAt: string | null;
  /**
   * When its newest release was pushed (the latest `createdAt` of its manifests; an imported
   * release keeps its original time); null without releases. What a search sorted by recency
   * orders by. Documents stored before this field existed lack it (undefined): they sort after
   * every dated one until a replay (`npm run replay -- search`) rewrites them.
   */
  releasedAt?: string | null;
  /** The package's state after `sequence`, so the next event can be folded without asking anyone. */
  view: PackageView;
}

export function searchDocumentFrom(view: PackageView): SearchDocument {
  const releases = sortReleasesDescending(releaseNames(view));
  const chartOf = new Map<string, ChartMetadata>();
  for (const m of view.manifests) if (m.chart && !chartOf.has(m.release)) chartOf.set(m.release, m.chart);
  const newest = releases.find((r) => chartOf.has(r));
  const described = newest === undefined ? null : chartOf.get(newest)!;
  return {
    package: view.package,
    namespace: view.namespace,
    name: view.name,
    sequence: view.sequence,
    active: packageExists(view),
    visibility: view.visibility,
    description: described?.description ?? '',
    keywords: described?.keywords ?? [],
    mediaTypes: mediaTypesOf(view),
    releases,
    updatedAt: view.updatedAt,
    releasedAt: newestReleaseTime(view),
    view,
  };
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
