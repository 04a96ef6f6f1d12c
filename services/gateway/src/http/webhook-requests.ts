/**
 * The webhook routes' bodies and queries, read into the typed input their use cases take. The
 * secret is read here and handed on once, to be sealed; it is never echoed or logged.
 */
import {
  InvalidUsageError,
  parseWebhookEvents,
  parseWebhookPackage,
  parseWebhookSecret,
  parseWebhookUrl,
} from '@wharf/domain';
import type {
  DeliveryPage,
  WebhookChange,
  WebhookCreation,
} from '../use-cases/webhooks/webhook-subscriptions.use-cases';
import { mergeValues, optionalString, parseJsonBody } from './request-values';

const MAX_DELIVERY_PAGE = 200;
const DEFAULT_DELIVERY_PAGE = 50;
const FIELDS = new Set(['url', 'events', 'package', 'secret']);

/** `{"url", "events", "secret", "package"?}`: all but `package` required. */
export function webhookCreation(body: unknown, namespace: string): WebhookCreation {
  const values = known(parseJsonBody(body));
  return {
    settings: {
      url: parseWebhookUrl(values.url),
      events: parseWebhookEvents(values.events),
      package: parseWebhookPackage(values.package, namespace),
    },
    secret: parseWebhookSecret(values.secret),
  };
}

/** Any of `url`, `events`, `package` (null: every package), `secret` (a new one: rotation); at least one. */
export function webhookChange(body: unknown, namespace: string): WebhookChange {
  const values = known(parseJsonBody(body));
  if (Object.keys(values).length === 0)
    throw new InvalidUsageError("nothing to change: give 'url', 'events', 'package' or 'secret'", { field: 'body' });
  return {
    url: 'url' in values ? parseWebhookUrl(values.url) : undefined,
    events: 'events' in values ? parseWebhookEvents(values.events) : undefined,
    package: 'package' in values ? parseWebhookPackage(values.package, namespace) : undefined,
    secret: 'secret' in values ? parseWebhookSecret(values.secret) : undefined,
  };
}

/** A delivery id as any store issues one: printable, at most 256 characters. */
const DELIVERY_ID = /^[A-Za-z0-9._~:-]{1,256}$/;

export function deliveryPage(query: unknown): DeliveryPage {
  const values = mergeValues(query, {});
  const limit = Number(optionalString(values, 'limit') ?? DEFAULT_DELIVERY_PAGE);
  const before = optionalString(values, 'before');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DELIVERY_PAGE)
    throw new InvalidUsageError(`'limit' must be an integer from 1 to ${MAX_DELIVERY_PAGE}`, { field: 'limit' });
  // Each delivery store issues ids of its own shape (SQLite a number, MongoDB
  // `<subscription>~<event id>`) and reads them back itself: here the value is only bounded.
  if (before !== undefined && !DELIVERY_ID.test(before))
    throw new InvalidUsageError("'before' must be a delivery id", { field: 'before' });
  return { limit, before };
}

function known(values: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(values))
    if (!FIELDS.has(key))
      throw new InvalidUsageError(`unknown field '${key.slice(0, 64)}': give 'url', 'events', 'package' or 'secret'`, {
        field: key.slice(0, 64),
      });
  return values;
}
