import { randomBytes } from 'node:crypto';
import { loadConfig } from '@wharf/config';
import { RegistryTokens } from './registry-tokens';

const key = () => randomBytes(32).toString('base64');
const claims = { sub: 'alice', exp: 2_000_000_000, pwd: 'fingerprint' };

describe(RegistryTokens.name, () => {
  it('should verify across gateways that share WHARF_REGISTRY_TOKEN_KEY, and not across others', () => {
    const shared = key();
    const a = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: shared }));
    const b = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: shared }));
    const other = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    const token = a.sign(claims);
    expect(b.verify(token, 1)).toEqual(claims);
    expect(other.verify(token, 1)).toBeNull();
    expect(b.verify(token, claims.exp)).toBeNull();
    expect([a.sharedKey, b.sharedKey]).toEqual([true, true]);
  });

  it('should derive a shared key from WHARF_WEBHOOK_SECRET_KEY when it has none of its own, else make one of its own', () => {
    const webhooks = key();
    const a = new RegistryTokens(loadConfig({ WHARF_WEBHOOK_SECRET_KEY: webhooks }));
    const b = new RegistryTokens(loadConfig({ WHARF_WEBHOOK_SECRET_KEY: webhooks }));
    expect(b.verify(a.sign(claims), 1)).toEqual(claims);
    expect(a.sharedKey).toBe(true);
    // Not the webhook key itself: a token signed with it is refused.
    const raw = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: webhooks }));
    expect(b.verify(raw.sign(claims), 1)).toBeNull();

    const alone = new RegistryTokens(loadConfig({}));
    const elsewhere = new RegistryTokens(loadConfig({}));
    expect(alone.sharedKey).toBe(false);
    expect(elsewhere.verify(alone.sign(claims), 1)).toBeNull();
  });
});
