import type { WebhookDeliverySettings } from '@wharf/config';

/** The webhook service's settings: the configuration's, and the registry's base URL for CloudEvents. */
export const WEBHOOK_SETTINGS = Symbol('WebhookSettings');

export interface WebhookServiceSettings extends WebhookDeliverySettings {
  /**
   * Base of the URLs in CloudEvents (`source`, pull URLs): WHARF_PUBLIC_URL, else the server's own
   * address, set by the profile once it listens (before the enqueuer starts).
   */
  baseUrl: string;
  /** WHARF_API_PREFIX: where the App Registry API's pull URLs sit under `baseUrl`. */
  apiPrefix: string;
}

export const WEBHOOK_LOGGER = Symbol('WebhookLogger');
