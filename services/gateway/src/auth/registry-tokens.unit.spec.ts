import { randomBytes } from 'node:crypto';
import { loadConfig } from '@wharf/config';
import { RegistryTokens } from './registry-tokens';

const key = () => randomBytes(32).toString('base64');
const claims = { sub: 'alice', exp: 2_000_000_000, pwd: 'fingerprint' };
/** A moment within the token's lifetime. */
const now = claims.exp - 100;

describe(RegistryTokens.name, () => {
  it('should verify across gateways that share WHARF_REGISTRY_TOKEN_KEY, and not across others', () => {
    const shared = key();
    const a = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: shared }));
    const b = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: shared }));
    const other = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    const token = a.sign(claims);
    expect(b.verify(token, now)).toEqual(claims);
    expect(other.verify(token, now)).toBeNull();
    expect(b.verify(token, claims.exp)).toBeNull();
    expect([a.sharedKey, b.sharedKey]).toEqual([true, true]);
  });

  it('should derive a shared key from WHARF_WEBHOOK_SECRET_KEY when it has none of its own, else make one of its own', () => {
    const webhooks = key();
    const a = new RegistryTokens(loadConfig({ WHARF_WEBHOOK_SECRET_KEY: webhooks }));
    const b = new RegistryTokens(loadConfig({ WHARF_WEBHOOK_SECRET_KEY: webhooks }));
    expect(b.verify(a.sign(claims), now)).toEqual(claims);
    expect(a.sharedKey).toBe(true);
    // Not the webhook key itself: a token signed with it is refused.
    const raw = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: webhooks }));
    expect(b.verify(raw.sign(claims), now)).toBeNull();

    const alone = new RegistryTokens(loadConfig({}));
    const elsewhere = new RegistryTokens(loadConfig({}));
    expect(alone.sharedKey).toBe(false);
    expect(elsewhere.verify(alone.sign(claims), 1)).toBeNull();
  });

  it('should refuse a token whose claims were changed after signing (a later expiry, another user)', () => {
    const tokens = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    const [, body, signature] = /^wharf-oci\.([^.]+)\.(.+)$/.exec(tokens.sign(claims))!;
    const resigned = (changed: object) =>
      `wharf-oci.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), ...changed })).toString('base64url')}.${signature}`;
    expect(tokens.verify(resigned({}), now)).toEqual(claims);
    expect(tokens.verify(resigned({ exp: claims.exp + 60 }), now)).toBeNull();
    expect(tokens.verify(resigned({ sub: 'mallory' }), now)).toBeNull();
  });

  it('should refuse an expiry further ahead than any token is given, even signed', () => {
    const tokens = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    expect(tokens.verify(tokens.sign({ ...claims, exp: now + 300 }), now)).not.toBeNull();
    expect(tokens.verify(tokens.sign({ ...claims, exp: now + 86_400 }), now)).toBeNull();
  });

  it('should refuse a key shorter than 32 bytes from the profile (an empty or cut key file)', () => {
    expect(() => new RegistryTokens(loadConfig({}), Buffer.alloc(0))).toThrow(/fewer than 32/);
    expect(() => new RegistryTokens(loadConfig({}), randomBytes(31))).toThrow(/fewer than 32/);
    expect(new RegistryTokens(loadConfig({}), randomBytes(32)).sharedKey).toBe(true);
  });
});
