/**
 * Follows the log as consumer group "metadata" and keeps the metadata store caught up. In
 * normal operation the writer has already applied each event, so this mostly skips; it is what
 * repairs the store after a crash between append and apply, and what rebuilds it on replay.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { StoredEvent } from '@wharf/contracts';
import { EVENT_LOG, EventLog, ProjectorSubscription, RejectedEvent, UnappliableEventsError } from '@wharf/ports';
import { KeyedMutex } from './keyed-mutex';
import { PackageProjection } from './package-projection';

export const METADATA_GROUP = 'metadata';

@Injectable()
export class MetadataProjector implements OnApplicationShutdown {
  private readonly subscription: ProjectorSubscription;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    private readonly projection: PackageProjection,
    private readonly locks: KeyedMutex,
  ) {
    this.subscription = new ProjectorSubscription(log, { group: METADATA_GROUP }, (events) => this.handle(events));
  }

  start(): Promise<void> {
    return this.subscription.start();
  }

  /** Resolves once every event appended so far is applied (or the timeout passes: false). */
  async caughtUp(timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.lag()) === 0) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  lag(): Promise<number> {
    return this.subscription.lag();
  }

  onApplicationShutdown(): Promise<void> {
    return this.subscription.stop();
  }

  private async handle(events: StoredEvent[]): Promise<void> {
    const byPackage = new Map<string, StoredEvent[]>();
    for (const event of events) byPackage.set(event.package, [...(byPackage.get(event.package) ?? []), event]);
    // A package that cannot take its events is left behind (its events set aside); the others go on.
    const rejected: RejectedEvent[] = [];
    for (const [pkg, stream] of byPackage) {
      try {
        await this.locks.run(pkg, () => this.projection.catchUp(pkg, stream));
      } catch (error) {
        if (!(error instanceof UnappliableEventsError)) throw error;
        rejected.push(...error.rejected);
      }
    }
    if (rejected.length > 0) throw new UnappliableEventsError(rejected);
  }
}
