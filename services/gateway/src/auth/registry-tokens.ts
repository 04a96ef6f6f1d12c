/**
 * Registry tokens: what the OCI token endpoint (`/v2/token`) answers a password login with, so
 * `helm registry login`, `oras login` and `docker login` get a short-lived bearer token that is
 * not an API token: nothing is recorded for it (no account event, not listed among the user's
 * tokens, not counted toward their cap), and it dies on its own after `REGISTRY_TOKEN_TTL_SECONDS`.
 *
 * `wharf-oci.<base64url(claims)>.<base64url(HMAC-SHA256(key, "wharf-oci." + claims))>`, claims
 * `{sub, exp, pwd}`: the user, the expiry (unix seconds), and a fingerprint of the password hash
 * the login checked, so a password change or a disabled user ends every token at once. The key
 * is WHARF_REGISTRY_TOKEN_KEY, the same on every gateway; the embedded profile keeps one in its
 * data directory; a distributed gateway without it derives one (HKDF-SHA256, its own label) from
 * WHARF_WEBHOOK_SECRET_KEY, which every gateway of a deployment shares already, and with neither
 * makes one at start (its tokens then work on that gateway alone: said at start). The signature is checked in constant time; a token is
 * never logged, and only a hash of the password's hash is in it.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { REGISTRY_TOKEN } from '@wharf/domain';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';

export const REGISTRY_TOKEN_TTL_SECONDS = 300;
/** A key shorter than this is refused: an empty or cut key file would sign tokens anyone can make. */
const MIN_KEY_BYTES = 32;
/** Clock skew between gateways a token's expiry may carry beyond the lifetime this code gives. */
const EXPIRY_SKEW_SECONDS = 60;
/** The key a profile supplies when WHARF_REGISTRY_TOKEN_KEY is unset (embedded: a data-directory file). */
export const REGISTRY_TOKEN_KEY = Symbol('REGISTRY_TOKEN_KEY');
const PREFIX = 'wharf-oci.';

export interface RegistryTokenClaims {
  /** The user. */
  sub: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** `passwordFingerprint` of the password hash the login checked. */
  pwd: string;
}

/** A fingerprint of a stored password hash: changes with the password, says nothing of it. */
export function passwordFingerprint(passwordHash: string): string {
  return createHash('sha256').update(`wharf-oci\0${passwordHash}`).digest('base64url').slice(0, 22);
}

@Injectable()
export class RegistryTokens {
  private readonly key: Buffer;
  /** False when this process made its own key (a distributed gateway without WHARF_REGISTRY_TOKEN_KEY). */
  readonly sharedKey: boolean;

  constructor(
    @Inject(WHARF_CONFIG) config: WharfConfig,
    @Optional() @Inject(REGISTRY_TOKEN_KEY) profileKey: Buffer | null = null,
  ) {
    const key = config.auth.registryTokenKey ?? profileKey ?? derivedKey(config.webhooks.secretKey);
    if (key !== null && key.length < MIN_KEY_BYTES)
      throw new Error(
        `the registry token key has ${key.length} bytes, fewer than ${MIN_KEY_BYTES} (WHARF_REGISTRY_TOKEN_KEY, base64; embedded: registry-token.key in the data directory)`,
      );
    this.sharedKey = key !== null;
    this.key = key ?? randomBytes(32);
  }

  /** A token for `claims`. */
  sign(claims: RegistryTokenClaims): string {
    const body = Buffer.from(JSON.stringify({ sub: claims.sub, exp: claims.exp, pwd: claims.pwd })).toString(
      'base64url',
    );
    return `${PREFIX}${body}.${this.signature(body)}`;
  }

  /**
   * The claims of a token this key signed that has not expired at `nowSeconds`; null otherwise,
   * and for an expiry further ahead than a token is ever given (no token outlives its lifetime,
   * whatever it says).
   */
  verify(text: string, nowSeconds: number): RegistryTokenClaims | null {
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
    if (!isClaims(claims) || claims.exp <= nowSeconds) return null;
    if (claims.exp > nowSeconds + REGISTRY_TOKEN_TTL_SECONDS + EXPIRY_SKEW_SECONDS) return null;
    return claims;
  }

  private signature(body: string): string {
    return createHmac('sha256', this.key).update(`${PREFIX}${body}`).digest('base64url');
  }
}

/** A key of its own for registry tokens from the deployment's shared webhook key; null without one. */
function derivedKey(shared: Buffer | null): Buffer | null {
  if (shared === null) return null;
  return Buffer.from(hkdfSync('sha256', shared, Buffer.alloc(0), 'wharf registry tokens v1', 32));
}

function isClaims(value: unknown): value is RegistryTokenClaims {
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
