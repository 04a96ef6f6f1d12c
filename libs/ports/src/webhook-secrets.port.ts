/**
 * Webhook signing secrets at rest: the gateway seals a secret before it goes into an account
 * event, the dispatcher opens it to sign. The key lives outside every store, so the log, its
 * backups and exports hold no usable secret.
 */
export const WEBHOOK_SECRETS = Symbol('WebhookSecrets');

export interface WebhookSecrets {
  /** An opaque printable string; sealing the same secret twice gives different strings. */
  seal(secret: string): string;
  /** The secret; throws when `sealed` was not made by this key (tampered, or another key). */
  open(sealed: string): string;
}
