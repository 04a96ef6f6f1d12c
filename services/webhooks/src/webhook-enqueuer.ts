/**
 * Follows the log as consumer group `webhooks` and writes what each event owes each
 * subscription to the delivery store: no HTTP here, so the group's pace is the store's, never
 * an endpoint's. Per package it remembers the last sequence it handled and the manifests the
 * package holds (to tell a package's deletion), in the same write as the deliveries, so a batch
 * handed over again after a crash adds nothing.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { StoredEvent } from '@wharf/contracts';
import { AccountView, WebhookRecord, cloudEventsOf, manifestsAfter, webhooksOf, webhookWants } from '@wharf/domain';
import {
  ACCOUNT_STORE,
  AccountStore,
  EVENT_LOG,
  EventLog,
  NewDelivery,
  PackageMark,
  ProjectorSubscription,
  WEBHOOK_DELIVERIES,
  WebhookDeliveryStore,
} from '@wharf/ports';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WEBHOOK_SETTINGS, WebhookServiceSettings } from './webhook-settings';

export const WEBHOOKS_GROUP = 'webhooks';

@Injectable()
export class WebhookEnqueuer implements OnApplicationShutdown {
  private readonly subscription: ProjectorSubscription;

  constructor(
    @Inject(EVENT_LOG) log: EventLog,
    @Inject(ACCOUNT_STORE) private readonly accounts: AccountStore,
    @Inject(WEBHOOK_DELIVERIES) private readonly deliveries: WebhookDeliveryStore,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookServiceSettings,
    private readonly dispatcher: WebhookDispatcher,
  ) {
    this.subscription = new ProjectorSubscription(log, { group: WEBHOOKS_GROUP, batchSize: 500 }, (events) =>
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

  async handle(events: readonly StoredEvent[]): Promise<void> {
    const packages = [...new Set(events.map((e) => e.package))];
    const marks = await this.deliveries.marks(packages);
    const accounts = new Map<string, Promise<AccountView | null>>();
    const account = (namespace: string) => {
      if (!accounts.has(namespace)) accounts.set(namespace, this.accounts.get(namespace));
      return accounts.get(namespace)!;
    };
    // Under the drop policy a failing subscription gets nothing new until it is resumed.
    const receivers = new Map<string, Promise<WebhookRecord[]>>();
    const receiving = (namespace: string) => {
      if (!receivers.has(namespace))
        receivers.set(
          namespace,
          account(namespace).then(async (view) => {
            const all = webhooksOf(view ?? ({} as AccountView));
            if (this.settings.whenFailing !== 'drop' || all.length === 0) return all;
            const health = await this.deliveries.health(all.map((w) => w.id));
            return all.filter((w) => !health.get(w.id)?.failingSince);
          }),
        );
      return receivers.get(namespace)!;
    };
    const queued: NewDelivery[] = [];
    const changed = new Map<string, PackageMark>();
    for (const event of events) {
      const mark = changed.get(event.package) ??
        marks.get(event.package) ?? { package: event.package, sequence: 0, manifests: 0 };
      if (event.sequence <= mark.sequence) continue;
      changed.set(event.package, {
        ...mark,
        sequence: event.sequence,
        manifests: manifestsAfter(mark.manifests, event),
      });
      const namespace = event.package.slice(0, event.package.indexOf('/'));
      const webhooks = await receiving(namespace);
      if (webhooks.length === 0) continue;
      for (const { name, event: cloudEvent } of cloudEventsOf(event, mark.manifests, {
        origin: this.settings.baseUrl,
        apiPrefix: this.settings.apiPrefix,
      })) {
        const body = JSON.stringify(cloudEvent);
        for (const webhook of webhooks.filter((w) => webhookWants(w, name, event.package, event.occurredAt))) {
          queued.push({
            subscription: webhook.id,
            namespace,
            package: event.package,
            sequence: event.sequence,
            eventId: cloudEvent.id,
            eventType: cloudEvent.type,
            body,
            createdAt: event.occurredAt,
          });
        }
      }
    }
    if (queued.length === 0 && changed.size === 0) return;
    await this.deliveries.enqueue(queued, [...changed.values()]);
    if (queued.length > 0) this.dispatcher.wake();
  }
}
