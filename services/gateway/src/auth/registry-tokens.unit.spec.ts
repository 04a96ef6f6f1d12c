import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '@wharf/config';
import { REGISTRY_AUDIENCE, RegistryTokens, registryTokenKeyOf } from './registry-tokens';

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
    expect(b.verify(token, now, REGISTRY_AUDIENCE)).toEqual(claims);
    expect(other.verify(token, now, REGISTRY_AUDIENCE)).toBeNull();
    expect(b.verify(token, claims.exp, REGISTRY_AUDIENCE)).toBeNull();
  });

  it('should not derive a key from WHARF_WEBHOOK_SECRET_KEY: whoever holds that key cannot sign tokens', () => {
    const webhooks = key();
    const withWebhookKey = loadConfig({ WHARF_WEBHOOK_SECRET_KEY: webhooks });
    const a = new RegistryTokens(withWebhookKey);
    const b = new RegistryTokens(withWebhookKey);
    expect(b.verify(a.sign(claims), now, REGISTRY_AUDIENCE)).toBeNull();
  });

  it('should refuse to start a distributed gateway with accounts enforced and no WHARF_REGISTRY_TOKEN_KEY, naming it, never a value', () => {
    const webhooks = key();
    const distributed = { WHARF_PROFILE: 'distributed', WHARF_WEBHOOK_SECRET_KEY: webhooks };
    let error: unknown;
    try {
      registryTokenKeyOf(loadConfig({ ...distributed, WHARF_AUTH_MODE: 'enforced' }));
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^WHARF_REGISTRY_TOKEN_KEY: required/)]);
    expect((error as Error).message).not.toContain(webhooks);
    expect(() => new RegistryTokens(loadConfig({ ...distributed, WHARF_AUTH_MODE: 'enforced' }))).toThrow(ConfigError);
    // With the variable it starts, and two gateways sharing it verify each other's tokens.
    const shared = key();
    const set = loadConfig({ ...distributed, WHARF_AUTH_MODE: 'enforced', WHARF_REGISTRY_TOKEN_KEY: shared });
    expect(registryTokenKeyOf(set)).toEqual(Buffer.from(shared, 'base64'));
    expect(new RegistryTokens(set).verify(new RegistryTokens(set).sign(claims), now, REGISTRY_AUDIENCE)).toEqual(
      claims,
    );
    // Accounts open: every request is the open caller, so a key of the gateway's own is enough.
    expect(registryTokenKeyOf(loadConfig({ ...distributed, WHARF_AUTH_MODE: 'open' }))).toBeNull();
    // Embedded: the data directory's key file (the profile's key) stands in for the variable.
    const file = randomBytes(32);
    expect(registryTokenKeyOf(loadConfig({ WHARF_AUTH_MODE: 'enforced' }), file)).toBe(file);
  });

  it('should refuse WHARF_REGISTRY_TOKEN_KEY equal to WHARF_WEBHOOK_SECRET_KEY, naming both, never the value', () => {
    const same = key();
    const config = loadConfig({
      WHARF_PROFILE: 'distributed',
      WHARF_AUTH_MODE: 'enforced',
      WHARF_WEBHOOK_SECRET_KEY: same,
      WHARF_REGISTRY_TOKEN_KEY: same,
    });
    let error: unknown;
    try {
      registryTokenKeyOf(config);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^WHARF_REGISTRY_TOKEN_KEY: must differ from WHARF_WEBHOOK_SECRET_KEY/),
    ]);
    expect((error as Error).message).not.toContain(same);
  });

  it('should make a key of its own when neither the variable nor the profile gives one', () => {
    const alone = new RegistryTokens(loadConfig({ WHARF_AUTH_MODE: 'open' }));
    const elsewhere = new RegistryTokens(loadConfig({ WHARF_AUTH_MODE: 'open' }));
    expect(alone.verify(alone.sign(claims), now, REGISTRY_AUDIENCE)).toEqual(claims);
    expect(elsewhere.verify(alone.sign(claims), now, REGISTRY_AUDIENCE)).toBeNull();
  });

  it('should refuse a token whose claims were changed after signing (a later expiry, another user)', () => {
    const tokens = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    const [, body, signature] = /^wharf-oci\.([^.]+)\.(.+)$/.exec(tokens.sign(claims))!;
    const resigned = (changed: object) =>
      `wharf-oci.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), ...changed })).toString('base64url')}.${signature}`;
    expect(tokens.verify(resigned({}), now, REGISTRY_AUDIENCE)).toEqual(claims);
    expect(tokens.verify(resigned({ exp: claims.exp + 60 }), now, REGISTRY_AUDIENCE)).toBeNull();
    expect(tokens.verify(resigned({ sub: 'mallory' }), now, REGISTRY_AUDIENCE)).toBeNull();
  });

  it("should verify a token for the registry's audience alone, the audience signed in", () => {
    const tokens = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    const token = tokens.sign(claims);
    expect(tokens.verify(token, now, REGISTRY_AUDIENCE)).toEqual(claims);
    expect(tokens.verify(token, now, 'wharf-api')).toBeNull();
    const [, body, signature] = /^wharf-oci\.([^.]+)\.(.+)$/.exec(token)!;
    const decoded = JSON.parse(Buffer.from(body!, 'base64url').toString()) as Record<string, unknown>;
    expect(decoded['aud']).toBe(REGISTRY_AUDIENCE);
    const reaimed = Buffer.from(JSON.stringify({ ...decoded, aud: 'wharf-api' })).toString('base64url');
    expect(tokens.verify(`wharf-oci.${reaimed}.${signature}`, now, 'wharf-api')).toBeNull();
  });

  it('should refuse an expiry further ahead than any token is given, even signed', () => {
    const tokens = new RegistryTokens(loadConfig({ WHARF_REGISTRY_TOKEN_KEY: key() }));
    expect(tokens.verify(tokens.sign({ ...claims, exp: now + 300 }), now, REGISTRY_AUDIENCE)).not.toBeNull();
    expect(tokens.verify(tokens.sign({ ...claims, exp: now + 86_400 }), now, REGISTRY_AUDIENCE)).toBeNull();
  });

  it('should refuse a key shorter than 32 bytes from the profile (an empty or cut key file)', () => {
    expect(() => new RegistryTokens(loadConfig({}), Buffer.alloc(0))).toThrow(/fewer than 32/);
    expect(() => new RegistryTokens(loadConfig({}), randomBytes(31))).toThrow(/fewer than 32/);
    const file = randomBytes(32);
    expect(
      new RegistryTokens(loadConfig({}), file).verify(
        new RegistryTokens(loadConfig({}), file).sign(claims),
        now,
        REGISTRY_AUDIENCE,
      ),
    ).toEqual(claims);
  });
});
