/**
 * Follows the log as consumer group "metadata" and keeps the metadata store caught up. In
 * normal operation the writer has already applied each event, so this mostly skips; it is what
 * repairs the store after a crash between append and apply, and what rebuilds it on replay.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { StoredEvent } from '@wharf/contracts';
import { EVENT_LOG, EventLog, RejectedEvent, Subscription, UnappliableEventsError } from '@wharf/ports';
import { KeyedMutex } from './keyed-mutex';
import { PackageProjection } from './package-projection';

export const METADATA_GROUP = 'metadata';

@Injectable()
export class MetadataProjector implements OnApplicationShutdown {
  private subscription: Subscription | null = null;

  constructor(
    @Inject(EVENT_LOG) private readonly log: EventLog,
    private readonly projection: PackageProjection,
    private readonly locks: KeyedMutex,
  ) {}

  async start(): Promise<void> {
    this.subscription ??= await this.log.subscribe({ group: METADATA_GROUP }, (events) => this.handle(events));
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

  async lag(): Promise<number> {
    return this.subscription ? this.subscription.lag() : this.log.count();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
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
