import type { ChartVersionRecord, PackageChartChanges, PackageChartVersions, Visibility } from '@wharf/domain';
import type { ProjectionRebuild } from './projection-rebuild.port';

export const CHART_INDEX_STORE = Symbol('ChartIndexStore');

/** A namespace's chart versions, with the revision they belong to. */
export interface NamespaceCharts {
  namespace: string;
  /** As `ChartIndexStore.revision` would answer for exactly these versions. */
  revision: string;
  /** Every chart version of the namespace, each with its package's visibility; in no particular order. */
  versions: (ChartVersionRecord & { visibility: Visibility })[];
}

/**
 * What `applyChanges` did: `applied` (the index is now at the changes' sequence), `stale` (it
 * was already at that sequence or beyond: nothing changed), `behind` (it is at neither the
 * changes' `fromSequence` nor beyond their sequence, so they cannot be applied alone: nothing
 * changed, and the caller records the package's whole state with `sync`).
 */
export type ChartChangesOutcome = 'applied' | 'stale' | 'behind';

/**
 * The chart index projection: for each package, its chart versions as of a sequence of its
 * event stream, kept as one record per chart version (package, version) and a small head per
 * package (the sequence, the visibility), grouped by namespace so a Helm repository index is
 * one read. A push writes its own versions and the head (`applyChanges`), never the package's
 * other versions. Maintained by the metadata service where package views
 * are applied, so it is current when a push is acknowledged; never built by listing storage.
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface ChartIndexStore {
  /**
   * Records `charts` as the package's chart versions, replacing what was recorded for it, when
   * the recorded sequence for the package is lower than `charts.sequence` (none recorded: 0).
   * Otherwise what reads return does not change: applying the same or an older state again is a
   * no-op, so replays and a writer racing the projector are harmless. Returns true when it
   * recorded `charts`, false when it found a recorded sequence at least as high. (An adapter that
   * trusts the sequence it recorded itself, rather than reading it again, may answer true for a
   * state another process has already superseded; it then keeps a superseded record that no read
   * returns.) Recording a package with no versions is allowed (its versions leave the index; the
   * sequence is kept).
   */
  sync(charts: PackageChartVersions): Promise<boolean>;

  /**
   * Applies one batch's changes (`chartChangesOf`) when the package's recorded sequence is
   * exactly `changes.fromSequence` (none recorded: 0): records the published versions
   * (replacing the same version), removes the deleted ones (absent ones are ignored), takes
   * `changes.visibility` as the package's and `changes.sequence` as its sequence; the write is
   * proportional to the changes, not to the package. At or beyond `changes.sequence`: `stale`,
   * nothing changes (a redelivery). Otherwise `behind`, nothing changes: the index lacks the
   * package's events in between, which only the whole state (`sync`) repairs (a package with
   * nothing recorded is at 0: its first changes are `behind` unless they start its stream).
   * Applied changes that leave the versions and the visibility as they were may keep the
   * revision or change it. An adapter that trusts the sequence it recorded itself may answer
   * `applied` for changes another process has already applied (the same events: the same
   * result).
   */
  applyChanges(changes: PackageChartChanges): Promise<ChartChangesOutcome>;

  /**
   * An opaque token for the namespace's current chart versions: equal tokens mean equal
   * `read` results; any change of the namespace's versions changes it. Cheap compared to
   * `read` (an HTTP ETag and the key of a rendered-index cache). A namespace with no chart
   * versions recorded has a revision too.
   */
  revision(namespace: string): Promise<string>;

  /** The namespace's chart versions and their revision, read consistently. */
  read(namespace: string): Promise<NamespaceCharts>;

  /**
   * Starts a rebuild (ProjectionRebuild): an empty chart index in fresh storage, filled through
   * `sync` by the replay. A rebuild left unfinished (the process died before `switchOver` or
   * `abort`) is discarded by the next `rebuild`. After the switch, no namespace's revision is
   * one the live store answered before it (whether or not its versions changed): a revision
   * names one content across rebuilds too, even when the rebuilt index holds different
   * versions under the same package sequences (a rebuild after a change of how chart versions
   * are derived), so a cache keyed by revision never serves the old content.
   */
  rebuild(): Promise<ProjectionRebuild<ChartIndexStore>>;

  close(): Promise<void>;
}

/**
 * What the gateway asks of the chart index. In the embedded profile it is the store itself; in
 * the distributed one, a client of the metadata service.
 */
export const CHART_INDEX_READER = Symbol('ChartIndexReader');
export type ChartIndexReader = Pick<ChartIndexStore, 'revision' | 'read'>;
