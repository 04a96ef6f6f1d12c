/** The JSON shapes of webhook subscriptions and deliveries. No secret, sealed or not, is ever in them. */
import type { WebhookRecord } from '@wharf/domain';
import type { DeliveryRecord, SubscriptionHealth } from '@wharf/ports';

export function webhookJson(namespace: string, webhook: WebhookRecord, health: SubscriptionHealth | undefined) {
  const rotating = webhook.secrets.find((s) => s.until !== null);
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    package: webhook.package === null ? null : `${namespace}/${webhook.package}`,
    active: webhook.active,
    failing: (health?.failingSince ?? null) !== null,
    failing_since: health?.failingSince ?? null,
    pending_deliveries: health?.pending ?? 0,
    previous_secret_valid_until: rotating?.until ?? null,
    created_at: webhook.createdAt,
    updated_at: webhook.updatedAt,
  };
}

/** A delivery: with its CloudEvent and every attempt when `full`, its last attempts otherwise. */
export function deliveryJson(delivery: DeliveryRecord, full: boolean) {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    package: delivery.package,
    state: delivery.state,
    tries: delivery.tries,
    created_at: delivery.createdAt,
    next_attempt_at: delivery.state === 'pending' ? delivery.nextAttemptAt : null,
    delivered_at: delivery.deliveredAt,
    attempts: delivery.attempts.map((a) => ({
      at: a.at,
      status: a.status,
      latency_ms: a.latencyMs,
      error: a.error,
      response: a.response,
    })),
    ...(full ? { payload: JSON.parse(delivery.body) as unknown } : {}),
  };
}
