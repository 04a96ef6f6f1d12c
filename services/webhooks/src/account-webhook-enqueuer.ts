/**
 * Account events as webhooks (membership, tokens: account-cloud-events.ts). They live in the
 * namespace's account stream, not in the package log, so the gateway's AccountWriter tells this
 * enqueuer (ACCOUNT_CHANGES) after each append, and it reads the stream from its mark: one
 * lane per namespace (`package` is the namespace itself, which no package key can be, and
 * `sequence` the stream's version), the mark kept beside the package marks and written with the
 * deliveries. Idempotent like the package enqueuer (ids `<ns>:account:<version>`), so two
 * gateways catching up on one namespace at once enqueue nothing twice. Catch-ups of one
 * namespace run one after the other in this process. A change whose call was lost (the process
 * died right after the append) goes out with the namespace's next account change.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { JsonLogger } from '@wharf/config';
import {
  ACCOUNT_WEBHOOK_EVENTS,
  RecordedAccountEvent,
  WebhookRecord,
  accountCloudEventsOf,
  webhooksOf,
  webhookWants,
} from '@wharf/domain';
import {
  ACCOUNT_STORE,
  AccountChanges,
  AccountStore,
  NewDelivery,
  WEBHOOK_DELIVERIES,
  WebhookDeliveryStore,
} from '@wharf/ports';
import { WEBHOOK_LOGGER, WEBHOOK_SETTINGS, WebhookServiceSettings } from './webhook-settings';

const HISTORY_PAGE = 100;

@Injectable()
export class AccountWebhookEnqueuer implements AccountChanges {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    @Inject(ACCOUNT_STORE) private readonly accounts: AccountStore,
    @Inject(WEBHOOK_DELIVERIES) private readonly deliveries: WebhookDeliveryStore,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookServiceSettings,
    @Inject(WEBHOOK_LOGGER) private readonly logger: JsonLogger,
  ) {}

  appended(namespace: string): void {
    void this.follow(namespace);
  }

  /** Catches up on `namespace` after what is already running for it; settles once done (or logged). */
  follow(namespace: string): Promise<void> {
    const next = (this.chains.get(namespace) ?? Promise.resolve())
      .then(() => this.catchUp(namespace))
      .catch((error: unknown) =>
        this.logger.event('warn', 'account webhook events not enqueued (the next change retries)', {
          namespace,
          error: String(error),
        }),
      );
    this.chains.set(namespace, next);
    void next.then(() => {
      if (this.chains.get(namespace) === next) this.chains.delete(namespace);
    });
    return next;
  }

  /** Enqueues the account events of `namespace` after its mark that its subscriptions want. */
  async catchUp(namespace: string): Promise<void> {
    const view = await this.accounts.get(namespace);
    if (!view) return;
    const wanting = await this.receiving(
      webhooksOf(view).filter((w) => w.package === null && ACCOUNT_WEBHOOK_EVENTS.some((e) => w.events.includes(e))),
    );
    if (wanting.length === 0) return;
    const since = (await this.deliveries.marks([namespace])).get(namespace)?.sequence ?? 0;
    const earliest = wanting.reduce((min, w) => (w.createdAt < min ? w.createdAt : min), wanting[0]!.createdAt);
    const events: RecordedAccountEvent[] = [];
    let top = since;
    let before: number | undefined;
    for (;;) {
      const page = await this.accounts.history(namespace, { limit: HISTORY_PAGE, before });
      top = Math.max(top, page[0]?.version ?? 0);
      const fresh = page.filter((e) => e.version > since && e.occurredAt >= earliest);
      events.push(...fresh);
      if (page.length < HISTORY_PAGE || fresh.length < page.length) break;
      before = page[page.length - 1]!.version;
    }
    if (top <= since) return;
    const registry = { origin: this.settings.baseUrl, apiPrefix: this.settings.apiPrefix };
    const queued: NewDelivery[] = [];
    for (const event of events.reverse()) {
      for (const { name, event: cloudEvent } of accountCloudEventsOf(event, registry)) {
        const body = JSON.stringify(cloudEvent);
        for (const webhook of wanting.filter((w) => webhookWants(w, name, null, event.occurredAt)))
          queued.push({
            subscription: webhook.id,
            namespace,
            package: namespace,
            sequence: event.version,
            eventId: cloudEvent.id,
            eventType: cloudEvent.type,
            body,
            createdAt: event.occurredAt,
          });
      }
    }
    await this.deliveries.enqueue(queued, [{ package: namespace, sequence: top, manifests: 0 }]);
  }

  /** Under the drop policy a failing subscription gets nothing new until it is resumed. */
  private async receiving(webhooks: WebhookRecord[]): Promise<WebhookRecord[]> {
    if (this.settings.whenFailing !== 'drop' || webhooks.length === 0) return webhooks;
    const health = await this.deliveries.health(webhooks.map((w) => w.id));
    return webhooks.filter((w) => !health.get(w.id)?.failingSince);
  }
}
