/**
 * Webhook subscriptions of a namespace: what an admin asks for (a target URL, the kinds of
 * change, optionally one package) and the rules that decide which log events reach it. The
 * secret is held sealed (`SealedSecret`): the domain never sees it in the clear.
 */
import { InvalidUsageError } from '../errors';
import { parsePackageRef } from '../names';

/** The kinds of change a subscription may ask for; `io.wharf.<name>` is the CloudEvent type. */
export const WEBHOOK_EVENTS = [
  'release.published',
  'release.deleted',
  'channel.changed',
  'package.visibility_changed',
  'package.deleted',
  // From the namespace's account stream (account-cloud-events.ts), for namespace-wide subscriptions.
  'member.changed',
  'token.changed',
] as const;

export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** A signing secret as the log keeps it: sealed by the gateway; `until` null: current, else valid until then (rotation). */
export interface SealedSecret {
  sealed: string;
  until: string | null;
}

export interface WebhookRecord {
  id: string;
  url: string;
  events: WebhookEventName[];
  /** The package's short name (`<ns>/<name>` without the namespace); null: every package of the namespace. */
  package: string | null;
  active: boolean;
  /** The current secret first; a replaced one stays valid until its `until`. */
  secrets: SealedSecret[];
  createdAt: string;
  updatedAt: string;
}

/** What an admin sets on a subscription (the secret comes sealed, apart). */
export interface WebhookSettings {
  url: string;
  events: WebhookEventName[];
  package: string | null;
}

const MAX_URL_LENGTH = 2048;
/** A secret long enough to resist guessing, short enough for any header (Standard Webhooks asks 24 to 64 bytes). */
export const WEBHOOK_SECRET_MIN_LENGTH = 24;
export const WEBHOOK_SECRET_MAX_LENGTH = 128;
/** How long a replaced secret still signs, so receivers can switch without losing deliveries. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
/** Subscriptions one namespace may hold. */
export const MAX_WEBHOOKS_PER_NAMESPACE = 50;

/** An http(s) URL without credentials; InvalidUsageError('url') otherwise. Addresses are checked when sending. */
export function parseWebhookUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_URL_LENGTH || !URL.canParse(value))
    throw new InvalidUsageError(`'url' must be an absolute http(s) URL of at most ${MAX_URL_LENGTH} characters`, {
      field: 'url',
    });
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidUsageError("'url' must use http or https", { field: 'url' });
  if (url.username || url.password)
    throw new InvalidUsageError("'url' must not carry credentials: the signature authenticates", { field: 'url' });
  return url.toString();
}

export function parseWebhookEvents(value: unknown): WebhookEventName[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new InvalidUsageError(`'events' must be a non-empty list of: ${WEBHOOK_EVENTS.join(', ')}`, {
      field: 'events',
    });
  for (const name of value) {
    if (!WEBHOOK_EVENTS.includes(name as WebhookEventName))
      throw new InvalidUsageError(`'events' must hold only: ${WEBHOOK_EVENTS.join(', ')}`, {
        field: 'events',
        value: String(name).slice(0, 64),
      });
  }
  return WEBHOOK_EVENTS.filter((name) => value.includes(name));
}

/** A package name of `namespace` (short or `<ns>/<name>`), or null for every package. */
export function parseWebhookPackage(value: unknown, namespace: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new InvalidUsageError("'package' must be a string or null", { field: 'package' });
  const short = value.startsWith(`${namespace}/`) ? value.slice(namespace.length + 1) : value;
  parsePackageRef(namespace, short);
  return short;
}

export function parseWebhookSecret(value: unknown): string {
  if (
    typeof value !== 'string' ||
    value.length < WEBHOOK_SECRET_MIN_LENGTH ||
    value.length > WEBHOOK_SECRET_MAX_LENGTH ||
    !/^[\x21-\x7e]+$/.test(value)
  )
    throw new InvalidUsageError(
      `'secret' must be ${WEBHOOK_SECRET_MIN_LENGTH} to ${WEBHOOK_SECRET_MAX_LENGTH} printable ASCII characters`,
      { field: 'secret' },
    );
  return value;
}

/** The secrets that sign at `now`: the current one and any replaced one still in its overlap. */
export function signingSecrets(webhook: WebhookRecord, now: string): SealedSecret[] {
  return webhook.secrets.filter((s) => s.until === null || s.until > now);
}

/**
 * Whether a change of `pkg` (`<ns>/<name>`) of kind `event`, which happened at `occurredAt`,
 * goes to `webhook`. A subscription sees only what happened after it was created; a paused one
 * sees nothing.
 */
export function webhookWants(
  webhook: WebhookRecord,
  event: WebhookEventName,
  pkg: string | null,
  occurredAt: string,
): boolean {
  if (!webhook.active || occurredAt < webhook.createdAt || !webhook.events.includes(event)) return false;
  if (pkg === null) return webhook.package === null;
  return webhook.package === null || pkg.slice(pkg.indexOf('/') + 1) === webhook.package;
}
