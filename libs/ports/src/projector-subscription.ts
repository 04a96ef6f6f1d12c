/**
 * What every projector does with the log besides folding events: subscribe once as its consumer
 * group, say how far behind it is, and stop on shutdown. The projectors (search, metadata, blob
 * references) hold one each and keep only their fold; their NestJS lifecycle hooks call these.
 */
import type { StoredEvent } from '@wharf/contracts';
import type { EventLog, SubscribeOptions, Subscription } from './event-log.port';

export class ProjectorSubscription {
  private subscription: Subscription | null = null;

  constructor(
    private readonly log: EventLog,
    private readonly options: SubscribeOptions,
    private readonly handler: (events: StoredEvent[]) => Promise<void>,
  ) {}

  /** Subscribes `handler` as the group; a second call while subscribed does nothing. */
  async start(): Promise<void> {
    this.subscription ??= await this.log.subscribe(this.options, this.handler);
  }

  /** Events the group has not handled yet; before `start` (or after `stop`), every event in the log. */
  async lag(): Promise<number> {
    return this.subscription ? this.subscription.lag() : this.log.count();
  }

  /** Stops delivery after the batch in flight; `start` may subscribe again afterwards. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
  }
}
