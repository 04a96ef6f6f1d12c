/**
 * Follows the log as consumer group "search" and keeps the search index up to date. Each
 * document carries the package view it was built from, so an event is folded in without
 * asking the metadata service; documents never move backwards in sequence.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { emptyPackageView, evolveAll, searchDocumentFrom } from '@wharf/domain';
import type { StoredEvent } from '@wharf/contracts';
import {
  EVENT_LOG,
  EventLog,
  ProjectorSubscription,
  RejectedEvent,
  SEARCH_INDEX,
  SearchDocument,
  SearchIndex,
  UnappliableEventsError,
  parkedBehind,
} from '@wharf/ports';

export const SEARCH_GROUP = 'search';

@Injectable()
export class SearchProjector implements OnApplicationShutdown {
  private readonly subscription: ProjectorSubscription;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(SEARCH_INDEX) private readonly index: SearchIndex,
  ) {
    this.subscription = new ProjectorSubscription(log, { group: SEARCH_GROUP, batchSize: 1000 }, (events) =>
      this.handle(events),
    );
  }

  start(): Promise<void> {
    return this.subscription.start();
  }

  lag(): Promise<number> {
    return this.subscription.lag();
  }

  onApplicationShutdown(): Promise<void> {
    return this.subscription.stop();
  }

  /** Folds a batch: one read and one write for all the packages it touches. */
  async handle(events: readonly StoredEvent[]): Promise<void> {
    const packages = [...new Set(events.map((e) => e.package))];
    const stored = await this.index.getMany(packages);
    const updated: SearchDocument[] = [];
    // A package parked behind a set-aside event keeps its document; its events are set aside too.
    const rejected: RejectedEvent[] = [];
    for (const pkg of packages) {
      const before = stored.get(pkg)?.view ?? emptyPackageView(pkg);
      const fresh = events
        .filter((e) => e.package === pkg && e.sequence > before.sequence)
        .sort((a, b) => a.sequence - b.sequence);
      if (fresh.length === 0) continue;
      if (fresh[0]!.sequence !== before.sequence + 1) {
        rejected.push(...parkedBehind(before.sequence, fresh));
        continue;
      }
      updated.push(searchDocumentFrom(evolveAll(before, fresh)));
    }
    if (updated.length > 0) await this.index.putMany(updated);
    if (rejected.length > 0) throw new UnappliableEventsError(rejected);
  }
}
