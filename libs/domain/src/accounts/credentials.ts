/**
 * Reading credentials from an `Authorization` header and the shape of Wharf's API tokens.
 * Accepted forms:
 * - the token verbatim (what the `appr` client sends after `appr login`);
 * - `Bearer <token>`;
 * - `Basic base64(name:secret)` (any case), where the secret is a password or a token: a user
 *   with their password, a user or robot (`org+robot`) with a token, as Helm and CI send.
 * A token is `wharf.<base64url(account)>.<id>.<secret>`: the account and id say where its hash
 * is kept, the secret is random and only its SHA-256 is stored. A registry token (what the OCI
 * token endpoint answers a password login with) is `wharf-oci.<claims>.<signature>`, sent as
 * `Bearer`: the gateway checks its signature and expiry (services/gateway/src/auth/registry-tokens.ts).
 */
import { InvalidNameError } from '../errors';
import { parseAccountName, parseRobotName } from '../names';
export type Credentials =
  | { kind: 'none' }
  | { kind: 'malformed' }
  | { kind: 'token'; token: ApiToken; claimedAccount: string | null }
  | { kind: 'registry-token'; text: string }
  | { kind: 'password'; account: string; password: string };

export interface ApiToken {
  /** `alice`, or `org+robot` for a robot. */
  account: string;
  id: string;
  secret: string;
}

/** A registry token's shape (its claims and signature are the gateway's to check). */
export const REGISTRY_TOKEN = /^wharf-oci\.[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]{43}$/;

const TOKEN = /^wharf\.([A-Za-z0-9_-]{1,400})\.([0-9a-f]{16,64})\.([A-Za-z0-9_-]{32,128})$/;

export function formatToken(token: ApiToken): string {
  return `wharf.${Buffer.from(token.account, 'utf8').toString('base64url')}.${token.id}.${token.secret}`;
}

export function parseToken(text: string): ApiToken | null {
  const match = TOKEN.exec(text);
  if (!match) return null;
  const [, encodedAccount, id, secret] = match as unknown as [string, string, string, string];
  const account = Buffer.from(encodedAccount, 'base64url').toString('utf8');
  if (account.length === 0 || Buffer.from(account, 'utf8').toString('base64url') !== encodedAccount) return null;
  return { account, id, secret };
}

/** Splits `org+robot`; null for a plain account name. */
export function splitRobotAccount(account: string): { org: string; robot: string } | null {
  const at = account.indexOf('+');
  if (at <= 0 || at === account.length - 1) return null;
  return { org: account.slice(0, at), robot: account.slice(at + 1) };
}

/**
 * Whether `account` could name an account at all: a user or organisation name (the namespace
 * rule, at most 255 characters) or a robot's `org+robot`. Names that fail it are not looked up
 * anywhere; the rule is the one sign-up and robot creation apply, so no account fails it.
 */
export function isAccountNameSyntax(account: string): boolean {
  const robot = splitRobotAccount(account);
  try {
    if (robot) parseRobotName(robot.robot);
    parseAccountName(robot ? robot.org : account);
    return true;
  } catch (error) {
    if (error instanceof InvalidNameError) return false;
    throw error;
  }
}

export function parseAuthorization(header: string | undefined): Credentials {
  if (header === undefined) return { kind: 'none' };
  const value = header.trim();
  if (value === '') return { kind: 'none' };
  const space = value.indexOf(' ');
  const scheme = space < 0 ? '' : value.slice(0, space).toLowerCase();
  const rest = space < 0 ? '' : value.slice(space + 1).trim();
  if (scheme === 'bearer') return tokenCredentials(rest, null);
  if (scheme === 'basic') return basicCredentials(rest);
  return tokenCredentials(value, null);
}

function tokenCredentials(text: string, claimedAccount: string | null): Credentials {
  const token = parseToken(text);
  if (token) return { kind: 'token', token, claimedAccount };
  return REGISTRY_TOKEN.test(text) ? { kind: 'registry-token', text } : { kind: 'malformed' };
}

function basicCredentials(encoded: string): Credentials {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return { kind: 'malformed' };
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { kind: 'malformed' };
  const account = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (secret === '') return { kind: 'malformed' };
  const token = parseToken(secret);
  if (token) return { kind: 'token', token, claimedAccount: account };
  return { kind: 'password', account, password: secret };
}
