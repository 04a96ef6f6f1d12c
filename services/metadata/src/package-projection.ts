/**
 * Folds recorded events into the metadata store, idempotently: events at or below the stored
 * sequence are skipped, and the write is a compare-and-set on that sequence. Used by the
 * writer right after an append and by the projector that follows the log.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PackageView, emptyPackageView, evolve } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { METADATA_STORE, MetadataStore, UnappliableEventsError, parkedBehind } from '@wharf/ports';
import { ChartIndexProjection } from './chart-index-projection';

@Injectable()
export class PackageProjection {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    // Explicit token: the union type would be emitted as `Object` in the decorator metadata.
    @Optional() @Inject(ChartIndexProjection) private readonly charts: ChartIndexProjection | null = null,
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
        await this.charts?.apply(before, events);
        return before;
      }
      if (fresh[0].sequence !== before.sequence + 1) {
        throw new UnappliableEventsError(parkedBehind(before.sequence, fresh));
      }
      const after = fresh.reduce(evolve, before);
      if (await this.store.put(after, stored ? before.sequence : 0)) {
        await this.charts?.apply(after, events);
        return after;
      }
      if (attempt >= 5) throw new Error(`could not store ${pkg} after ${attempt} concurrent updates`);
    }
  }
}
