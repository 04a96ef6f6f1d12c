/**
 * Follows the log as consumer group "blob-references" and keeps the reference counts the
 * garbage collector relies on.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { sha256HexRuns } from '@wharf/domain';
import { BLOB_REFERENCES, BlobReferenceStore, EVENT_LOG, EventLog, ProjectorSubscription } from '@wharf/ports';

export const BLOB_REFERENCES_GROUP = 'blob-references';

@Injectable()
export class BlobReferenceProjector implements OnApplicationShutdown {
  private readonly subscription: ProjectorSubscription;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(BLOB_REFERENCES) references: BlobReferenceStore,
  ) {
    this.subscription = new ProjectorSubscription(log, { group: BLOB_REFERENCES_GROUP, batchSize: 1000 }, (events) =>
      references.apply(events),
    );
  }

  start(): Promise<void> {
    return this.subscription.start();
  }

  /**
   * Digests named by the events this group set aside (a poison event, an event the store
   * refused): they are not in the counts, so the collector must not take a count of 0 for them
   * at its word. Read from the raw records, which need not parse: any 64-hex run counts.
   */
  async digestsOfSetAsideEvents(): Promise<Set<string>> {
    const digests = new Set<string>();
    for (const dead of await this.log.deadLetters(BLOB_REFERENCES_GROUP)) {
      for (const digest of sha256HexRuns(dead.record)) digests.add(digest);
    }
    return digests;
  }

  /** Events not yet counted; the collector only runs when this is 0. */
  lag(): Promise<number> {
    return this.subscription.lag();
  }

  /** Stops counting after the batch in flight; `start` goes on from the group's committed offsets. */
  stop(): Promise<void> {
    return this.subscription.stop();
  }

  onApplicationShutdown(): Promise<void> {
    return this.stop();
  }
}
