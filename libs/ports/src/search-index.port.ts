import type { PackageView } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

export const SEARCH_INDEX = Symbol('SearchIndex');

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
  /** The package's state after `sequence`, so the next event can be folded without asking anyone. */
  view: PackageView;
}

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
  limit: number;
}

/** The search projection. Only the search service talks to it. Search is eventually consistent. */
export interface SearchIndex {
  /** The stored documents for these packages (absent ones are missing from the map). */
  getMany(packages: readonly string[]): Promise<Map<string, SearchDocument>>;

  /**
   * Stores the documents. A document whose sequence is not above the stored one for its package
   * is ignored, so redelivered batches change nothing.
   */
  putMany(documents: readonly SearchDocument[]): Promise<void>;

  /** Active packages matching the query, best match first ("namespace/name"). */
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
