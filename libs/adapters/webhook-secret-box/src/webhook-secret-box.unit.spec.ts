import { randomBytes } from 'node:crypto';
import { WebhookSecretBox } from './webhook-secret-box.adapter';

describe('WebhookSecretBox', () => {
  const secret = 'whsec-0123456789abcdef0123';
  const box = new WebhookSecretBox(randomBytes(32));

  it('should open what it sealed, and never hold the secret in the sealed form', () => {
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret);
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
  });

  it('should refuse a sealed secret changed at rest or sealed under another key', () => {
    const sealed = box.seal(secret);
    const [v, iv, tag, data] = sealed.split('.');
    const flipped = Buffer.from(data!, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.open([v, iv, tag, flipped.toString('base64url')].join('.'))).toThrow();
    expect(() => new WebhookSecretBox(randomBytes(32)).open(sealed)).toThrow();
    expect(() => box.open('plain')).toThrow();
  });
});
