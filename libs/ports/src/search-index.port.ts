import type { SearchDocument, SearchRow, SearchRowKey, SearchSort, StoredSearchRows } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

/**
 * What the search service keeps: a document per package and a row per (release, media type);
 * the domain folds events into them (`foldSearchEvents`).
 */
export type { SearchDocument, SearchRow, SearchRowKey, SearchSort, StoredSearchRows };

/** A package's document and what changed among its rows since the stored document. */
export interface SearchUpdate {
  document: SearchDocument;
  /** Rows to store, replacing any of the same (release, media type). */
  rows?: readonly SearchRow[];
  /** Rows to remove (absent ones are no error). */
  deletedRows?: readonly SearchRowKey[];
}

/** A package whose newest rows a fold needs, and the rows it wrote or deleted itself. */
export interface NewestRowsRequest {
  package: string;
  excluding: readonly SearchRowKey[];
}

export const SEARCH_INDEX = Symbol('SearchIndex');

export interface SearchQuery {
  /**
   * Free text from a user, never interpreted as query syntax. It is matched as words (runs of
   * letters and digits, so `load-balancer` is `load` and `balancer`), each also as a prefix,
   * against name, namespace, keywords and description; and as a substring of "namespace/name".
   */
  text: string;
  namespace?: string;
  mediaType?: string;
  /** Only packages that are public or in one of these namespaces; absent: all. */
  visibleNamespaces?: readonly string[] | 'all';
  /**
   * 'relevance' (absent): best match first, as `search` describes. 'recent': the same matches,
   * newest release first (`releasedAt`, descending), ties and documents without `releasedAt`
   * (stored before it existed) last, by package.
   */
  sort?: SearchSort;
  limit: number;
}

/**
 * The search projection. Only the search service talks to it. Search is eventually consistent.
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface SearchIndex {
  /**
   * The stored documents for these packages (absent ones are missing from the map), as stored:
   * a document of the former layout comes back with its `view` (see SearchDocument).
   */
  getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>>;

  /**
   * Stores each update, in order: its rows, then its document. An update whose document's
   * sequence is not above the one stored for its package by then is ignored whole (its rows
   * too), so redelivered batches change nothing. A document is stored without `view`.
   */
  putMany(updates: readonly SearchUpdate[]): Promise<void>;

  /**
   * For each package asked for (every one is in the map), its newest rows apart from
   * `excluding` (what a fold wrote or deleted): the one with the latest `createdAt` (text order;
   * ties: any), and among those with a chart the one of the highest release (`releaseKey`), the
   * lowest sequence among its media types; null where there is none. Sees every row stored by
   * a `putMany` that resolved. Costs the same whatever the packages' sizes.
   */
  newestRows(requests: readonly NewestRowsRequest[]): Promise<Map<string, StoredSearchRows>>;

  /**
   * Every row stored for these packages (every one asked for is in the map: [] without rows),
   * each package's ordered by media type, then release (text order). Sees every row stored by a
   * `putMany` that resolved. Costs follow the packages' sizes: for tools (`wharf verify`), never
   * on a request's path.
   */
  listRows(packages: readonly string[]): Promise<Map<string, SearchRow[]>>;

  /** Active packages matching the query, in the query's order ("namespace/name"). */
  search(query: SearchQuery): Promise<string[]>;

  /** Number of active documents. */
  count(): Promise<number>;

  /**
   * Starts a rebuild (see ProjectionRebuild): an empty index in fresh storage, dropping whatever
   * an earlier, unfinished rebuild left. One rebuild at a time per index.
   */
  rebuild(): Promise<ProjectionRebuild<SearchIndex>>;

  close(): Promise<void>;
}
