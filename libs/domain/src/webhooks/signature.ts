/**
 * The Standard Webhooks signature (standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>`, one per valid
 * secret, space-separated, so a receiver holding either secret of a rotation accepts it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
}

export function webhookHeaders(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: string,
): WebhookSignatureHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => `v1,${signPayload(s, id, timestampSeconds, body)}`).join(' '),
  };
}

/** What a receiver does: true when one of the header's `v1` signatures is the secret's. */
export function verifySignature(secret: string, headers: WebhookSignatureHeaders, body: string): boolean {
  const expected = Buffer.from(signPayload(secret, headers['webhook-id'], Number(headers['webhook-timestamp']), body));
  return headers['webhook-signature'].split(' ').some((part) => {
    const [version, signature] = part.split(',', 2);
    const given = Buffer.from(signature ?? '');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
