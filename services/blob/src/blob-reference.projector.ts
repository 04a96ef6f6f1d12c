/**
 * Follows the log as consumer group "blob-references" and keeps the reference counts the
 * garbage collector relies on.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { BLOB_REFERENCES, BlobReferenceStore, EVENT_LOG, EventLog, Subscription } from '@wharf/ports';

export const BLOB_REFERENCES_GROUP = 'blob-references';

@Injectable()
export class BlobReferenceProjector implements OnApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    @Inject(BLOB_REFERENCES) private readonly references: BlobReferenceStore,
  ) {}

  async start(): Promise<void> {
    this.subscription ??= await this.log.subscribe({ group: BLOB_REFERENCES_GROUP, batchSize: 1000 }, (events) => this.references.apply(events));
  }

  /** Events not yet counted; the collector only runs when this is 0. */
  async lag(): Promise<number> {
    return this.subscription ? this.subscription.lag() : this.log.count();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
