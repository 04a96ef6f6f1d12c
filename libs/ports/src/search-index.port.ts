import type { SearchDocument, SearchSort } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

/** What the search service keeps per package; the domain derives it from a view (`searchDocumentFrom`). */
export type { SearchDocument, SearchSort };

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
  /** The stored documents for these packages (absent ones are missing from the map). */
  getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>>;

  /**
   * Stores the documents. A document whose sequence is not above the stored one for its package
   * is ignored, so redelivered batches change nothing.
   */
  putMany(documents: readonly SearchDocument[]): Promise<void>;

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
