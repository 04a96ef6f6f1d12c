import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookEnqueuer } from './webhook-enqueuer';

/**
 * The webhook service: the enqueuer (consumer group `webhooks`) and the dispatcher. Expects from
 * the profile EVENT_LOG, ACCOUNT_STORE, WEBHOOK_DELIVERIES, WEBHOOK_SECRETS, WEBHOOK_SETTINGS and
 * WEBHOOK_LOGGER.
 */
@Module({ providers: [WebhookDispatcher, WebhookEnqueuer], exports: [WebhookDispatcher, WebhookEnqueuer] })
export class WebhooksModule {}
