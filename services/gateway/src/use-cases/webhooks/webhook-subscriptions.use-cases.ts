import { Inject, Injectable, Optional } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AccountCommand,
  AccountView,
  Caller,
  UnsupportedError,
  WebhookNotFoundError,
  WebhookSettings,
  callerName,
  findWebhook,
  webhooksOf,
} from '@wharf/domain';
import { WEBHOOK_DELIVERIES, WEBHOOK_SECRETS, WebhookDeliveryStore, WebhookSecrets } from '@wharf/ports';
import { AccessControl } from '../../auth/access-control';
import { AccountWriter } from '../../auth/account-writer';
import { deliveryJson, webhookJson } from '../../presenters/webhooks.presenter';
import type { RequestInput } from '../request-input';
import { AccountLookup } from '../accounts/account-lookup';

export interface WebhookCreation {
  settings: WebhookSettings;
  secret: string;
}

/** Fields absent stay as they are; `secret` present: rotated (the old one signs on during the overlap). */
export interface WebhookChange {
  url?: string;
  events?: WebhookSettings['events'];
  package?: string | null;
  secret?: string;
}

export interface DeliveryPage {
  limit: number;
  before: string | undefined;
}

/**
 * A namespace's webhook subscriptions and their delivery log, for the namespace's admins only.
 * Subscriptions are account events (so the audit trail records every change); deliveries live in
 * the webhook delivery store. Absent that store (a profile without the webhook service) every
 * route answers 501.
 */
@Injectable()
export class WebhookSubscriptionsUseCases {
  constructor(
    private readonly writer: AccountWriter,
    private readonly access: AccessControl,
    private readonly lookup: AccountLookup,
    @Optional() @Inject(WEBHOOK_DELIVERIES) private readonly deliveries: WebhookDeliveryStore | null,
    @Optional() @Inject(WEBHOOK_SECRETS) private readonly secrets: WebhookSecrets | null,
  ) {}

  async list(caller: Caller, namespace: string) {
    const { deliveries } = await this.guard(caller, namespace);
    const webhooks = webhooksOf(await this.lookup.account(namespace));
    const health = await deliveries.health(webhooks.map((w) => w.id));
    return webhooks.map((w) => webhookJson(namespace, w, health.get(w.id)));
  }

  async get(caller: Caller, namespace: string, id: string) {
    const { deliveries } = await this.guard(caller, namespace);
    const webhook = findWebhook(await this.lookup.account(namespace), id);
    return webhookJson(namespace, webhook, (await deliveries.health([id])).get(id));
  }

  async create(caller: Caller, namespace: string, input: RequestInput<WebhookCreation>) {
    const { secrets } = await this.guard(caller, namespace);
    await this.lookup.account(namespace);
    const { settings, secret } = input();
    const id = randomUUID();
    const view = await this.writer.execute(
      namespace,
      { type: 'CreateWebhook', id, settings, sealedSecret: secrets.seal(secret) },
      callerName(caller),
    );
    return webhookJson(namespace, findWebhook(view, id), undefined);
  }

  async update(caller: Caller, namespace: string, id: string, input: RequestInput<WebhookChange>) {
    const { secrets } = await this.guard(caller, namespace);
    const current = findWebhook(await this.lookup.account(namespace), id);
    const change = input();
    const now = new Date();
    const command: AccountCommand = {
      type: 'ChangeWebhook',
      id,
      settings: {
        url: change.url ?? current.url,
        events: change.events ?? current.events,
        package: change.package === undefined ? current.package : change.package,
      },
      sealedSecret: change.secret === undefined ? null : secrets.seal(change.secret),
      now: now.toISOString(),
    };
    return this.show(namespace, id, await this.writer.execute(namespace, command, callerName(caller), now));
  }

  async setActive(caller: Caller, namespace: string, id: string, active: boolean) {
    const { deliveries } = await this.guard(caller, namespace);
    findWebhook(await this.lookup.account(namespace), id);
    const view = await this.writer.execute(namespace, { type: 'SetWebhookActive', id, active }, callerName(caller));
    // Resuming also lifts a failing mark: the admin says the endpoint is back.
    if (active) await deliveries.resume(id, new Date().toISOString());
    return this.show(namespace, id, view);
  }

  async delete(caller: Caller, namespace: string, id: string) {
    const { deliveries } = await this.guard(caller, namespace);
    findWebhook(await this.lookup.account(namespace), id);
    await this.writer.execute(namespace, { type: 'DeleteWebhook', id }, callerName(caller));
    await deliveries.cancel(id);
    return { status: 'ok' };
  }

  async deliveryLog(caller: Caller, namespace: string, id: string, page: RequestInput<DeliveryPage>) {
    const { deliveries } = await this.guard(caller, namespace);
    findWebhook(await this.lookup.account(namespace), id);
    const { limit, before } = page();
    return (await deliveries.list(id, { limit, before })).map((d) => deliveryJson(d, false));
  }

  async delivery(caller: Caller, namespace: string, id: string, deliveryId: string) {
    const { deliveries } = await this.guard(caller, namespace);
    findWebhook(await this.lookup.account(namespace), id);
    const found = await deliveries.get(id, deliveryId);
    if (!found) throw new WebhookNotFoundError(namespace, `${id}/deliveries/${deliveryId}`);
    return deliveryJson(found, true);
  }

  async redeliver(caller: Caller, namespace: string, id: string, deliveryId: string) {
    const { deliveries } = await this.guard(caller, namespace);
    findWebhook(await this.lookup.account(namespace), id);
    const found = await deliveries.redeliver(id, deliveryId, new Date().toISOString());
    if (!found) throw new WebhookNotFoundError(namespace, `${id}/deliveries/${deliveryId}`);
    return deliveryJson({ ...found, attempts: [] }, false);
  }

  private async show(namespace: string, id: string, view: AccountView) {
    return webhookJson(namespace, findWebhook(view, id), (await this.deliveries!.health([id])).get(id));
  }

  /** Admins of the namespace only (401/403 first), then whether this profile delivers webhooks at all. */
  private async guard(caller: Caller, namespace: string) {
    await this.access.require(caller, namespace, 'admin');
    if (!this.deliveries || !this.secrets)
      throw new UnsupportedError('webhooks are off here: the gateway needs WHARF_WEBHOOK_SECRET_KEY');
    return { deliveries: this.deliveries, secrets: this.secrets };
  }
}
