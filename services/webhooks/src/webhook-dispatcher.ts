/**
 * Sends what the delivery store holds. Each tick asks the store for the lanes' heads that are
 * due (a lane is one subscription and one package: its deliveries go one at a time, in log
 * order) and starts a send for each, up to MAX_IN_FLIGHT in all and MAX_IN_FLIGHT_PER_SUBSCRIPTION
 * per subscription, so one slow endpoint holds a few slots, never every one. A send reads the
 * subscription as it is now (URL, secrets, active), signs, posts, and records the attempt and
 * what follows: delivered, a retry after a backoff with jitter, or, with the retries used up,
 * the subscription marked failing (its lanes then wait for an admin). Replicas of the distributed
 * webhook service share one store and split the lanes by hash (`laneShard`, WHARF_WEBHOOK_SHARD),
 * so a lane is never sent by two processes at once; the store filters by shard before it limits.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { JsonLogger } from '@wharf/config';
import {
  CLOUD_EVENT_CONTENT_TYPE,
  SealedSecret,
  backoffDelayMs,
  signingSecrets,
  webhookHeaders,
  webhooksOf,
} from '@wharf/domain';
import {
  ACCOUNT_STORE,
  AccountStore,
  AttemptOutcome,
  Delivery,
  METRICS,
  WEBHOOK_DELIVERIES,
  WEBHOOK_SECRETS,
  WebhookDeliveryStore,
  WebhookSecrets,
  WharfMetricsPort,
} from '@wharf/ports';
import { SendResult, sendWebhook } from './webhook-sender';
import { WEBHOOK_LOGGER, WEBHOOK_SETTINGS, WebhookServiceSettings } from './webhook-settings';

export const MAX_IN_FLIGHT = 32;
export const MAX_IN_FLIGHT_PER_SUBSCRIPTION = 4;
/** How often the store is asked for due deliveries when nothing woke the dispatcher. */
const POLL_MS = 500;
/** A paused subscription's lanes are looked at again after this long. */
const PAUSED_RECHECK_MS = 5_000;
/** How often deliveries past the retention are deleted (and once at start). */
const PRUNE_EVERY_MS = 3_600_000;

@Injectable()
export class WebhookDispatcher implements OnApplicationShutdown {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly perSubscription = new Map<string, number>();
  /** Deliveries of paused subscriptions, not asked for again until the time given. */
  private readonly parked = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private pruner: NodeJS.Timeout | null = null;
  private ticking = false;
  private again = false;
  private stopped = true;

  constructor(
    @Inject(WEBHOOK_DELIVERIES) private readonly deliveries: WebhookDeliveryStore,
    @Inject(ACCOUNT_STORE) private readonly accounts: AccountStore,
    @Inject(WEBHOOK_SECRETS) private readonly secrets: WebhookSecrets,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookServiceSettings,
    @Inject(WEBHOOK_LOGGER) private readonly logger: JsonLogger,
    @Inject(METRICS) private readonly metrics: Pick<WharfMetricsPort, 'webhookAttempted'>,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
    if (this.settings.retentionDays > 0) {
      void this.prune();
      this.pruner = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
      this.pruner.unref();
    }
  }

  /** Deletes what is past the retention; a failure is logged and tried again at the next round. */
  async prune(): Promise<void> {
    const before = new Date(Date.now() - this.settings.retentionDays * 86_400_000).toISOString();
    try {
      const pruned = await this.deliveries.prune(before);
      if (pruned > 0) this.logger.event('info', 'webhook deliveries past retention deleted', { count: pruned });
    } catch (error) {
      this.logger.event('warn', 'webhook deliveries could not be pruned', { error: String(error) });
    }
  }

  /** Looks for due deliveries now (new ones were enqueued, or a subscription was resumed). */
  wake(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pruner) clearInterval(this.pruner);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.ticking = true;
    this.again = false;
    try {
      const now = Date.now();
      for (const [id, until] of this.parked) if (until <= now) this.parked.delete(id);
      const free = MAX_IN_FLIGHT - this.inFlight.size;
      if (free > 0) {
        const busy = new Set([...this.inFlight.keys(), ...this.parked.keys()]);
        // The store keeps this replica's lanes before it limits: another's backlog never starves ours.
        const due = await this.deliveries.due(new Date(now).toISOString(), free, busy, this.settings.shard);
        for (const delivery of due) {
          const count = this.perSubscription.get(delivery.subscription) ?? 0;
          if (count >= MAX_IN_FLIGHT_PER_SUBSCRIPTION || this.inFlight.size >= MAX_IN_FLIGHT) continue;
          this.perSubscription.set(delivery.subscription, count + 1);
          this.inFlight.set(delivery.id, this.send(delivery));
        }
      }
    } catch (error) {
      this.logger.event('warn', 'webhook deliveries could not be read', { error: String(error) });
    } finally {
      this.ticking = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.again ? 0 : POLL_MS);
    }
  }

  private async send(delivery: Delivery): Promise<void> {
    try {
      await this.attempt(delivery);
    } catch (error) {
      this.logger.event('warn', 'webhook delivery attempt not recorded', {
        delivery: delivery.id,
        error: String(error),
      });
    } finally {
      this.inFlight.delete(delivery.id);
      const left = (this.perSubscription.get(delivery.subscription) ?? 1) - 1;
      if (left > 0) this.perSubscription.set(delivery.subscription, left);
      else this.perSubscription.delete(delivery.subscription);
      this.wake();
    }
  }

  /** Signs and sends; a secret this key cannot open is a failed attempt like any other (the operator changed the key). */
  private async post(url: string, sealed: readonly SealedSecret[], delivery: Delivery, now: Date): Promise<SendResult> {
    let secrets: string[];
    try {
      secrets = sealed.map((s) => this.secrets.open(s.sealed));
    } catch {
      return {
        status: null,
        latencyMs: 0,
        error: 'the secret cannot be opened with this WHARF_WEBHOOK_SECRET_KEY: set the secret again',
        response: '',
      };
    }
    const headers = {
      'content-type': CLOUD_EVENT_CONTENT_TYPE,
      ...webhookHeaders(secrets, delivery.eventId, Math.floor(now.getTime() / 1000), delivery.body),
    };
    return sendWebhook(url, delivery.body, headers, this.settings);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    const account = await this.accounts.get(delivery.namespace);
    const webhook = account ? webhooksOf(account).find((w) => w.id === delivery.subscription) : undefined;
    if (!webhook) return this.deliveries.cancel(delivery.subscription);
    if (!webhook.active) {
      this.parked.set(delivery.id, Date.now() + PAUSED_RECHECK_MS);
      return;
    }
    const now = new Date();
    const result = await this.post(webhook.url, signingSecrets(webhook, now.toISOString()), delivery, now);
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const tries = delivery.tries + 1;
    const outcome: AttemptOutcome = ok
      ? { state: 'delivered' }
      : tries >= this.settings.maxAttempts
        ? { state: 'exhausted', drop: this.settings.whenFailing === 'drop' }
        : {
            state: 'retry',
            nextAttemptAt: new Date(
              Date.now() + backoffDelayMs(this.settings.backoff, tries, Math.random()),
            ).toISOString(),
          };
    if (outcome.state === 'exhausted')
      this.logger.event('warn', 'webhook failing: retries used up', {
        namespace: delivery.namespace,
        webhook: delivery.subscription,
        status: result.status,
        error: result.error,
      });
    this.metrics.webhookAttempted(
      outcome.state === 'delivered' ? 'delivered' : outcome.state === 'retry' ? 'retried' : 'failed',
      result.latencyMs / 1000,
    );
    await this.deliveries.recordAttempt(
      delivery.id,
      {
        at: now.toISOString(),
        status: result.status,
        latencyMs: result.latencyMs,
        error: result.error,
        response: result.response,
      },
      outcome,
    );
  }
}
