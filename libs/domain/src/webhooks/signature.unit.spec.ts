import { createHmac } from 'node:crypto';
import { backoffDelayMs } from './backoff';
import { signPayload, verifySignature, webhookHeaders } from './signature';

describe('Standard Webhooks signature', () => {
  const body = '{"id":"ev-1"}';
  it("should be base64 HMAC-SHA256 over 'id.timestamp.body'", () => {
    const expected = createHmac('sha256', 'k'.repeat(24)).update(`ev-1.1700000000.${body}`).digest('base64');
    expect(signPayload('k'.repeat(24), 'ev-1', 1700000000, body)).toBe(expected);
  });

  it('should sign with every valid secret, and verify with either, never with another or another body', () => {
    const headers = webhookHeaders(['new'.repeat(8), 'old'.repeat(8)], 'ev-1', 1700000000, body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifySignature('new'.repeat(8), headers, body)).toBe(true);
    expect(verifySignature('old'.repeat(8), headers, body)).toBe(true);
    expect(verifySignature('bad'.repeat(8), headers, body)).toBe(false);
    expect(verifySignature('new'.repeat(8), headers, `${body} `)).toBe(false);
    expect(verifySignature('new'.repeat(8), { ...headers, 'webhook-id': 'ev-2' }, body)).toBe(false);
  });
});

describe('backoff', () => {
  const policy = { baseMs: 1000, maxMs: 60_000 };
  it('should double per attempt between half and all of the step, capped', () => {
    expect([1, 2, 3].map((a) => backoffDelayMs(policy, a, 0))).toEqual([500, 1000, 2000]);
    expect([1, 2, 3].map((a) => backoffDelayMs(policy, a, 0.999999))).toEqual([999, 1999, 3999]);
    expect(backoffDelayMs(policy, 40, 0.5)).toBe(45_000);
  });
});
