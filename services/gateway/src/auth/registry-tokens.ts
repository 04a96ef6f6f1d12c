/**
 * Registry tokens: what the OCI token endpoint (`/v2/token`) answers a password login with, so
 * `helm registry login`, `oras login` and `docker login` get a short-lived bearer token that is
 * not an API token: nothing is recorded for it (no account event, not listed among the user's
 * tokens, not counted toward their cap), and it dies on its own after `REGISTRY_TOKEN_TTL_SECONDS`.
 *
 * `wharf-oci.<base64url(claims)>.<base64url(HMAC-SHA256(key, "wharf-oci." + claims))>`, claims
 * `{sub, exp, pwd, aud}`: the user, the expiry (unix seconds), a fingerprint of the password hash
 * the login checked (so a password change or a disabled user ends every token at once), and the
 * audience, `REGISTRY_AUDIENCE`: a registry token opens the `/v2/` routes and nothing else (the
 * account routes, appr, ChartMuseum and the UI refuse it: `Authenticator.callerFor`).
 *
 * The key (`registryTokenKeyOf`): WHARF_REGISTRY_TOKEN_KEY, the same on every gateway; else the
 * embedded profile's file in its data directory. A distributed gateway with accounts enforced
 * refuses to start without the variable: a key derived from another secret would let whoever
 * holds that secret (the webhook service holds the webhook key) mint tokens for any user. With
 * accounts open every request is the open caller whatever it presents, so a key of the
 * process's own is enough there. The signature is checked in constant time; a token is never
 * logged, and only a hash of the password's hash is in it.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { REGISTRY_TOKEN } from '@wharf/domain';
import { ConfigError, WHARF_CONFIG, WharfConfig } from '@wharf/config';

export const REGISTRY_TOKEN_TTL_SECONDS = 300;
/** A key shorter than this is refused: an empty or cut key file would sign tokens anyone can make. */
const MIN_KEY_BYTES = 32;
/** Clock skew between gateways a token's expiry may carry beyond the lifetime this code gives. */
const EXPIRY_SKEW_SECONDS = 60;
/** The key a profile supplies when WHARF_REGISTRY_TOKEN_KEY is unset (embedded: a data-directory file). */
export const REGISTRY_TOKEN_KEY = Symbol('REGISTRY_TOKEN_KEY');
const PREFIX = 'wharf-oci.';
/** The only audience a registry token is signed for: the OCI distribution routes (`/v2/`). */
export const REGISTRY_AUDIENCE = 'wharf-registry';
/** Where a credential is presented: the `/v2/` routes, or any other (account routes, appr, ChartMuseum, the UI). */
export type Audience = typeof REGISTRY_AUDIENCE | 'wharf-api';

export interface RegistryTokenClaims {
  /** The user. */
  sub: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** `passwordFingerprint` of the password hash the login checked. */
  pwd: string;
}

/**
 * The key signing registry tokens: WHARF_REGISTRY_TOKEN_KEY, else the profile's (embedded: its
 * data-directory file), else null, meaning a key of this process's own. Throws ConfigError,
 * naming the variable, for a distributed gateway with accounts enforced and no variable.
 */
export function registryTokenKeyOf(config: WharfConfig, profileKey: Buffer | null = null): Buffer | null {
  const key = config.auth.registryTokenKey ?? profileKey;
  if (key === null && config.profile === 'distributed' && config.auth.mode === 'enforced')
    throw new ConfigError([
      'WHARF_REGISTRY_TOKEN_KEY: required by the gateway with WHARF_AUTH_MODE=enforced in the distributed profile (32 bytes, base64: openssl rand -base64 32, the same on every gateway and on no other service)',
    ]);
  if (key !== null && config.webhooks.secretKey !== null && key.equals(config.webhooks.secretKey))
    throw new ConfigError([
      'WHARF_REGISTRY_TOKEN_KEY: must differ from WHARF_WEBHOOK_SECRET_KEY (the webhook service holds that key, and could sign tokens for any user)',
    ]);
  return key;
}

/** A fingerprint of a stored password hash: changes with the password, says nothing of it. */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(`wharf-oci\0${passwordHash}`).digest('base64url').slice(0, 22);
}

@Injectable()
export class RegistryTokens {
  private readonly key: Buffer;

  constructor(
    @Inject(WHARF_CONFIG) config: WharfConfig,
    @Optional() @Inject(REGISTRY_TOKEN_KEY) profileKey: Buffer | null = null,
  ) {
    const key = registryTokenKeyOf(config, profileKey);
    if (key !== null && key.length < MIN_KEY_BYTES)
      throw new Error(
        `the registry token key has ${key.length} bytes, fewer than ${MIN_KEY_BYTES} (WHARF_REGISTRY_TOKEN_KEY, base64; embedded: registry-token.key in the data directory)`,
      );
    this.key = key ?? randomBytes(32);
  }

  /** A token for `claims`, for the registry's routes alone (`aud`: `REGISTRY_AUDIENCE`). */
  sign(claims: RegistryTokenClaims): string {
    const body = Buffer.from(
      JSON.stringify({ sub: claims.sub, exp: claims.exp, pwd: claims.pwd, aud: REGISTRY_AUDIENCE }),
    ).toString('base64url');
    return `${PREFIX}${body}.${this.signature(body)}`;
  }

  /**
   * The claims of a token this key signed for `audience` that has not expired at `nowSeconds`;
   * null otherwise (another audience, or none), and for an expiry further ahead than a token is
   * ever given (no token outlives its lifetime, whatever it says).
   */
  verify(text: string, nowSeconds: number, audience: Audience): RegistryTokenClaims | null {
    if (!REGISTRY_TOKEN.test(text)) return null;
    const [body, signature] = text.slice(PREFIX.length).split('.') as [string, string];
    const expected = Buffer.from(this.signature(body));
    const actual = Buffer.from(signature);
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
    let claims: unknown;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (!isClaims(claims) || claims.aud !== audience || claims.exp <= nowSeconds) return null;
    if (claims.exp > nowSeconds + REGISTRY_TOKEN_TTL_SECONDS + EXPIRY_SKEW_SECONDS) return null;
    return { sub: claims.sub, exp: claims.exp, pwd: claims.pwd };
  }

  private signature(body: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}${body}`).digest('base64url');
  }
}

function isClaims(value: unknown): value is RegistryTokenClaims & { aud: unknown } {
  const c = value as Partial<RegistryTokenClaims> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.sub === 'string' &&
    typeof c.exp === 'number' &&
    Number.isInteger(c.exp) &&
    typeof c.pwd === 'string'
  );
}
