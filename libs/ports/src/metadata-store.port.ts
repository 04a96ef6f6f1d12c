import type { PackageSummary, PackageView } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

export const METADATA_STORE = Symbol('MetadataStore');

export interface PackageListFilter {
  namespace?: string;
  /** Only packages with at least one manifest of this media type. */
  mediaType?: string;
  /** Case-sensitive substring of "namespace/name"; matched literally, never as a pattern. */
  nameContains?: string;
  /** Only packages that are public or in one of these namespaces (tenancy); absent: all. */
  visibleNamespaces?: readonly string[] | 'all';
  /**
   * Also packages that hold only OCI artifacts and no release (the /v2 catalog's repositories);
   * absent: only packages with a release, as appr lists them.
   */
  includeOciOnly?: boolean;
  /** Only packages whose name sorts after this one (paging by name). */
  after?: string;
  limit: number;
  offset?: number;
}

/**
 * The metadata projection: one document per package (its PackageView), plus a summary used for
 * listing. Only the package writer writes it; the gateway reads it (as its PackageReader).
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface MetadataStore {
  /** The package's view, or null when no event of it was ever applied. */
  get(pkg: string): Promise<PackageView | null>;

  /**
   * Stores `view` when the stored view's sequence is still `expectedSequence` (0: no view
   * stored). Returns false, writing nothing, when the stored sequence differs: another writer
   * or a redelivered event got there first. A view with no manifests left is kept (its sequence
   * guards idempotency) but no longer listed.
   */
  put(view: PackageView, expectedSequence: number): Promise<boolean>;

  /** Summaries of packages that have at least one release (or, with includeOciOnly, an OCI artifact), ordered by package name. */
  list(filter: PackageListFilter): Promise<PackageSummary[]>;

  /** Number of stored packages that have at least one release. */
  count(): Promise<number>;

  /**
   * Starts a rebuild (see ProjectionRebuild): an empty metadata store in fresh storage, dropping
   * whatever an earlier, unfinished rebuild left. One rebuild at a time per store.
   */
  rebuild(): Promise<ProjectionRebuild<MetadataStore>>;

  close(): Promise<void>;
}
