/**
 * Folds recorded events into the metadata store, idempotently: events at or below the stored
 * sequence are skipped, and the write is a compare-and-set on that sequence that writes the
 * package's head and only the manifest rows the events changed (`manifestChanges`). Used by the
 * writer right after an append and by the projector that follows the log.
 *
 * It remembers, per package (the most recent APPLIED_SEQUENCES_KEPT packages), the sequence
 * through which this process has applied events to both the metadata store and the chart
 * index. The projector then skips, without a read, the events the writer has just applied:
 * in normal operation, every event (on MongoDB that is three reads per push saved). Only
 * success is remembered, and only up to the events applied (not the store's sequence, which
 * may be ahead of the chart index), so an apply that failed half-way is repaired by the
 * projector as before. The memory is of this process and of the live store: across a rebuild's
 * switch-over, events written to the previous generation in its last moments (other processes
 * trust their pointer for up to a second) reach the new one through the replay tool's final
 * pass, not through this projector.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { HighestByKey } from '@wharf/collections';
import type { JsonLogger } from '@wharf/config';
import {
  PackageHeadState,
  PackageView,
  emptyPackageView,
  evolveAll,
  headChanges,
  manifestChanges,
} from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import {
  DependencyUnavailableError,
  METADATA_STORE,
  METRICS,
  MetadataStore,
  MetadataWriterMetrics,
  NO_METRICS,
  StoreWaitOutcome,
  UnappliableEventsError,
  parkedBehind,
} from '@wharf/ports';
import { ChartIndexProjection } from './chart-index-projection';

/**
 * How the writer waits for a store behind the events it appended (applyAppended): about 3 s,
 * the replay's tail folding for at least 1 s after its switch. The wait holds the package's lock
 * and its command partition (commands are taken one at a time), so it is kept short: past it the
 * command is answered 503 and its retry is answered from the package's recent command ids.
 */
export const STORE_BEHIND = { reads: 30, pauseMs: 100 } as const;

/** The logger the projection tells its waits for the store (applyAppended) to; the profile provides it. */
export const METADATA_LOGGER = Symbol('MetadataLogger');

/** How many packages' applied sequences a process remembers (a number each). */
export const APPLIED_SEQUENCES_KEPT = 100_000;

@Injectable()
export class PackageProjection {
  private readonly appliedThrough = new HighestByKey(APPLIED_SEQUENCES_KEPT);

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    // Explicit token: the union type would be emitted as `Object` in the decorator metadata.
    @Optional() @Inject(ChartIndexProjection) private readonly charts: ChartIndexProjection | null = null,
    @Optional() @Inject(METRICS) private readonly metrics: MetadataWriterMetrics = NO_METRICS,
    @Optional() @Inject(METADATA_LOGGER) private readonly logger: JsonLogger | null = null,
  ) {}

  /**
   * Applies events of ONE package, in sequence order; returns the view after them. `current` is
   * the stored view (null: none) when the caller has just read it, which spares a read; if it
   * is stale the compare-and-set fails and the view is read again.
   */
  async apply(pkg: string, events: readonly EventEnvelope[], current?: PackageView | null): Promise<PackageView> {
    for (let attempt = 0; ; attempt++) {
      const stored = attempt === 0 && current !== undefined ? current : await this.store.get(pkg);
      const before = stored ?? emptyPackageView(pkg);
      const fresh = events.filter((e) => e.sequence > before.sequence).sort((a, b) => a.sequence - b.sequence);
      if (fresh.length === 0) {
        await this.charts?.repair(before, events);
        // Only these events are known to be in the chart index now: a later event the store
        // already holds may still be missing there (a writer that stopped between the two).
        this.appliedThrough.offer(pkg, { sequence: lastSequence(events) });
        return before;
      }
      if (fresh[0]!.sequence !== before.sequence + 1) {
        throw new UnappliableEventsError(parkedBehind(before.sequence, fresh));
      }
      const after = evolveAll(before, fresh);
      // Only the rows these events changed are written, and the head: a push costs its own rows.
      const changes = manifestChanges(after, fresh);
      if (await this.store.put(after, stored ? before.sequence : 0, changes)) {
        await this.charts?.record(fresh, after, before.sequence, changes, async () => after);
        this.appliedThrough.offer(pkg, { sequence: after.sequence });
        return after;
      }
      if (attempt >= 5) throw new Error(`could not store ${pkg} after ${attempt} concurrent updates`);
    }
  }

  /**
   * The writer's apply of the events it just appended, decided on the package's head: stores
   * `after`'s head and the rows the events changed (`headChanges`), a compare-and-set on
   * `before`'s sequence, without reading or folding the whole view. When the store has moved on
   * meanwhile (or holds the package in a layout without rows), falls back to `apply`, which
   * reads the stored view and applies what it lacks.
   */
  async applyHead(
    pkg: string,
    events: readonly EventEnvelope[],
    before: PackageHeadState,
    after: PackageHeadState,
  ): Promise<void> {
    const sorted = [...events].sort((a, b) => a.sequence - b.sequence);
    const changes = headChanges(after, sorted);
    if (!(await this.store.putHead(after.head, before.head.sequence, changes))) {
      await this.applyAppended(pkg, events);
      return;
    }
    let behind = false;
    // The chart index takes the same row changes; it reads the whole view only when it is behind.
    await this.charts?.record(sorted, after.head, before.head.sequence, changes, async () => {
      const view = await this.store.get(pkg);
      behind = (view?.sequence ?? 0) < after.head.sequence;
      return behind ? null : view;
    });
    // The store read back a view behind the head just put: a replay's switch came in between,
    // and the head went to the generation before it. Applied to the new one, charts included.
    if (behind) await this.applyAppended(pkg, events);
    else this.appliedThrough.offer(pkg, { sequence: after.head.sequence });
  }

  /**
   * The writer's apply of events it has just appended (`apply`, when it cannot put the head it
   * decided on). The store may then be BEHIND them: right after a replay's switch, the new
   * generation can lack the last events the writer put into the one before, until the replay's
   * tail folds them in (within moments: it folds every event appended since its switch). That gap
   * is waited for, the store read again every STORE_BEHIND.pauseMs, STORE_BEHIND.reads times at
   * most; then it is answered as an outage (503, the client retries: its events are in the log,
   * and a retried command is answered from the package's recent command ids once they are
   * applied), never as events to set aside. A wait is counted and logged once it ends
   * (`wharf_metadata_store_waits_total`, by outcome).
   */
  async applyAppended(
    pkg: string,
    events: readonly EventEnvelope[],
    current?: PackageView | null,
  ): Promise<PackageView> {
    const started = performance.now();
    for (let read = 1; ; read++) {
      try {
        const view = await this.apply(pkg, events, read === 1 ? current : undefined);
        if (read > 1) this.waited('caught_up', pkg, events, read, started);
        return view;
      } catch (error) {
        if (!(error instanceof UnappliableEventsError)) {
          if (read > 1) this.waited('failed', pkg, events, read, started);
          throw error;
        }
        if (read >= STORE_BEHIND.reads) {
          this.waited('gave_up', pkg, events, read, started);
          throw new DependencyUnavailableError('the metadata store', {
            cause: new Error(`${pkg} is behind the events just appended: ${error.message}`),
          });
        }
        await new Promise((resolve) => setTimeout(resolve, STORE_BEHIND.pauseMs));
      }
    }
  }

  private waited(
    outcome: StoreWaitOutcome,
    pkg: string,
    events: readonly EventEnvelope[],
    reads: number,
    started: number,
  ): void {
    this.metrics.storeWaited(outcome);
    const fields = {
      outcome,
      package: pkg,
      through_sequence: lastSequence(events),
      reads,
      waited_ms: Math.round(performance.now() - started),
    };
    if (outcome === 'caught_up')
      this.logger?.event('info', 'metadata store caught up with the events just appended', fields);
    else if (outcome === 'gave_up')
      this.logger?.event('warn', 'metadata store still behind the events just appended: answered 503', fields);
    else this.logger?.event('warn', 'metadata store failed while the writer waited for it to catch up', fields);
  }

  /**
   * For the projector that follows the log: applies events of ONE package unless this process
   * has already applied them all (to the store and the chart index), which costs no read.
   */
  async catchUp(pkg: string, events: readonly EventEnvelope[]): Promise<void> {
    if (this.appliedThrough.sequence(pkg) >= lastSequence(events)) return;
    await this.apply(pkg, events);
  }
}

function lastSequence(events: readonly EventEnvelope[]): number {
  return events.reduce((max, e) => Math.max(max, e.sequence), 0);
}
