import type { RecordedEvent } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

export const BLOB_REFERENCES = Symbol('BlobReferences');

/**
 * The blob service's projection of how many releases reference each blob. Only the blob
 * service talks to it.
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface BlobReferenceStore {
  /**
   * Folds the events' reference changes (blobReferenceChanges) into the counts, all or nothing.
   * Each package's events are applied in sequence order and at most once: an event at or below
   * the sequence already applied for its package is skipped, so redelivery changes nothing.
   */
  apply(events: readonly RecordedEvent[]): Promise<void>;

  /** Live reference count of each digest asked for; 0 for a digest never referenced. */
  counts(digests: readonly string[]): Promise<Map<string, number>>;

  /**
   * Starts a rebuild (see ProjectionRebuild): empty counts in fresh storage, dropping whatever an
   * earlier, unfinished rebuild left. One rebuild at a time per store.
   */
  rebuild(): Promise<ProjectionRebuild<BlobReferenceStore>>;

  close(): Promise<void>;
}
