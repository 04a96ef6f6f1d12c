/**
 * Follows the log as consumer group "search" and keeps the search index up to date. A batch
 * reads the documents of the packages it touches, folds each package's events into its
 * document (`foldSearchEvents`), asks the index for the newest rows only when a delete needs
 * them, and writes the documents with their row changes in one call: a push's cost does not grow with the
 * package (measured: the same at 1,000 and 10,000 releases, docs/benchmarks.md), and the
 * metadata service is never asked. Documents
 * never move backwards in sequence. A document of the former layout (the whole view) is moved
 * to rows on its package's next event.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  SearchChanges,
  emptySearchDocument,
  evolveAll,
  foldSearchEvents,
  needsStoredRows,
  searchDocumentFrom,
  searchRowsOf,
  settleSearchDocument,
} from '@wharf/domain';
import type { StoredEvent } from '@wharf/contracts';
import {
  EVENT_LOG,
  EventLog,
  ProjectorSubscription,
  RejectedEvent,
  SEARCH_INDEX,
  SearchDocument,
  SearchIndex,
  SearchUpdate,
  StoredSearchRows,
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

  /**
   * Folds a batch: one read and one write for all the packages it touches, and one lookup of
   * rows for those of them whose document a delete left needing it.
   */
  async handle(events: readonly StoredEvent[]): Promise<void> {
    const packages = [...new Set(events.map((e) => e.package))];
    const stored = await this.index.getMany(packages);
    const folded: SearchChanges[] = [];
    // A package parked behind a set-aside event keeps its document; its events are set aside too.
    const rejected: RejectedEvent[] = [];
    for (const pkg of packages) {
      const before = stored.get(pkg);
      const sequence = before?.sequence ?? 0;
      const fresh = events
        .filter((e) => e.package === pkg && e.sequence > sequence)
        .sort((a, b) => a.sequence - b.sequence);
      if (fresh.length === 0) continue;
      if (fresh[0]!.sequence !== sequence + 1) {
        rejected.push(...parkedBehind(sequence, fresh));
        continue;
      }
      folded.push(foldPackage(pkg, before, fresh));
    }
    const updates = await this.settled(folded);
    if (updates.length > 0) await this.index.putMany(updates);
    if (rejected.length > 0) throw new UnappliableEventsError(rejected);
  }

  /** The updates of the folded packages, those that need the stored rows settled with one lookup. */
  private async settled(folded: readonly SearchChanges[]): Promise<SearchUpdate[]> {
    const unsettled = folded.filter(needsStoredRows);
    const stored = await (unsettled.length > 0
      ? this.index.newestRows(
          unsettled.map((c) => ({ package: c.document.package, excluding: [...c.rows, ...c.deletedRows] })),
        )
      : new Map<string, StoredSearchRows>());
    return folded.map((f) => {
      const rows = stored.get(f.document.package);
      const document = rows ? settleSearchDocument(f, rows) : f.document;
      return { document, rows: f.rows, deletedRows: f.deletedRows };
    });
  }
}

/** A package's events folded into its document. */
function foldPackage(pkg: string, before: SearchDocument | undefined, events: readonly StoredEvent[]): SearchChanges {
  if (before?.view) {
    // The former layout: the whole view, and no rows yet; nothing to settle.
    const view = evolveAll(before.view, events);
    const needs = { releasedAt: false, describedBy: false };
    return { document: searchDocumentFrom(view), rows: searchRowsOf(view), deletedRows: [], needs };
  }
  return foldSearchEvents(before ?? emptySearchDocument(pkg), events);
}
