/**
 * Folds recorded events into the metadata store, idempotently: events at or below the stored
 * sequence are skipped, and the write is a compare-and-set on that sequence. Used by the
 * writer right after an append and by the projector that follows the log.
 */
import { Inject, Injectable } from '@nestjs/common';
import { PackageView, emptyPackageView, evolve } from '@wharf/domain';
import type { EventEnvelope } from '@wharf/contracts';
import { METADATA_STORE, MetadataStore } from '@wharf/ports';

@Injectable()
export class PackageProjection {
  constructor(@Inject(METADATA_STORE) private readonly store: MetadataStore) {}

  /** Applies events of ONE package, in sequence order; returns the view after them. */
  async apply(pkg: string, events: readonly EventEnvelope[]): Promise<PackageView> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.store.get(pkg);
      const before = stored ?? emptyPackageView(pkg);
      const fresh = events.filter((e) => e.sequence > before.sequence).sort((a, b) => a.sequence - b.sequence);
      if (fresh.length === 0) return before;
      if (fresh[0].sequence !== before.sequence + 1) {
        throw new Error(`gap in ${pkg}: stored sequence ${before.sequence}, next event ${fresh[0].sequence}`);
      }
      const after = fresh.reduce(evolve, before);
      if (await this.store.put(after, stored ? before.sequence : 0)) return after;
      if (attempt >= 5) throw new Error(`could not store ${pkg} after ${attempt} concurrent updates`);
    }
  }
}
