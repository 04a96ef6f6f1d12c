import type { ManifestChanges, PackageHead, PackageSummary, PackageView, ReleaseManifest } from '@wharf/domain';
import { HELM_MEDIA_TYPE, helmManifestDigestOf } from '@wharf/domain';
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
 * The release `getRelease` reads: named; or the helm release whose OCI manifest has a digest
 * (sha256 hex: `helmManifestDigestOf`), which the store finds by its records of digests, keyed
 * by (package, digest), at the cost of one more read by key; or none (null).
 */
export type ReleaseOfHead = string | { helmManifestDigest: string } | null;

/** The release `release` names in a whole view (a store that holds whole views, or a test's reader). */
export function releaseInView(release: ReleaseOfHead, view: PackageView): string | null {
  if (release === null || typeof release === 'string') return release;
  const found = view.manifests.find(
    (m) => m.mediaType === HELM_MEDIA_TYPE && helmManifestDigestOf(m) === release.helmManifestDigest,
  );
  return found?.release ?? null;
}

/** A package's head and one of its manifests, as one consistent read (MetadataStore.getRelease). */
export interface HeadAndManifest {
  head: PackageHead;
  /** The manifest of that release and media type the head holds; null when the head holds none. */
  manifest: ReleaseManifest | null;
}

/**
 * The metadata projection: per package a head (the view without its manifests, plus its release
 * index and stored bytes: `PackageHead`) and one row per (release, media type) holding the
 * manifest. Only the package writer writes it; the gateway reads it (as its PackageReader).
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface MetadataStore {
  /**
   * The package's whole view (head and every row, as `evolve` folded it), or null when no event
   * of it was ever applied. Reads every row of the package: for the decider and the readers
   * that need every manifest; a show or a pull reads `getRelease`.
   */
  get(pkg: string): Promise<PackageView | null>;

  /** The package's head, or null when no event of it was ever applied; reads no manifest row. */
  getHead(pkg: string): Promise<PackageHead | null>;

  /**
   * The head and the manifest of (release, media type) as of that head: never a manifest a
   * later write stored while the head still names an earlier one, so the pair is what one
   * state of the package held. Null when no event of the package was ever applied. `release`
   * may be a helm manifest digest (`ReleaseOfHead`): the helm release the head holds whose
   * manifest has it (`mediaType` is then the helm media type). Null, a release the head does not
   * hold, or a digest no helm release of the head has, gives `manifest` null.
   */
  getRelease(pkg: string, release: ReleaseOfHead, mediaType: string): Promise<HeadAndManifest | null>;

  /**
   * Stores `view` when the stored sequence is still `expectedSequence` (0: nothing stored).
   * Returns false, writing nothing the package's head or rows show, when the stored sequence
   * differs: another writer or a redelivered event got there first. A view with no manifests
   * left is kept (its sequence guards idempotency) but no longer listed.
   *
   * `changes` says which manifests changed from the stored view to `view` (the events'
   * `manifestChanges`): only those rows are written, and the head, so a put costs the change,
   * not the package. The caller vouches that they are the whole difference; rows not named are
   * left as stored. Absent: every row is written again from `view` (a first put, a rebuild).
   */
  put(view: PackageView, expectedSequence: number, changes?: ManifestChanges): Promise<boolean>;

  /**
   * `put` from the package's head instead of its view: the writer's path, which decides and
   * folds on heads (`evolveHead`) and never holds the whole view. Stores `head` and the rows
   * `changes` names when the stored sequence is still `expectedSequence`, exactly as `put` of
   * the view whose `packageHead` is `head` with the same changes would (same `get`, `getHead`,
   * `getRelease` and `list` afterwards); false, writing nothing a read shows, otherwise. The
   * caller vouches that `changes` are the whole difference from the stored package; a package
   * stored in a layout without rows is refused (false after no write): put its view instead.
   */
  putHead(head: PackageHead, expectedSequence: number, changes: ManifestChanges): Promise<boolean>;

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
