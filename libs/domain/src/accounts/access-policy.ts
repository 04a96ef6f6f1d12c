/**
 * Who may do what. The caller is resolved from the request's credentials at the edge; these
 * rules decide from the caller and the namespace's account alone:
 * - open mode (configured explicitly): everyone may do everything, as on the reference server;
 * - a site admin holds `admin` on every namespace;
 * - a user holds `admin` on their own namespace and their role in organisations they belong to;
 * - a robot holds its role in its own organisation only;
 * - anonymous callers hold no role: they read public packages and nothing else.
 * Reading a private package needs `read`; pushes, deletes and channel changes need `write`;
 * visibility and membership changes need `admin`.
 */
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { Visibility } from '../package/package.view';
import { AccountView, Role, memberRole, roleAtLeast } from './account.view';

export type Caller =
  | { kind: 'open' }
  | { kind: 'anonymous' }
  | { kind: 'user'; name: string; siteAdmin: boolean; proof?: Proof }
  | { kind: 'robot'; org: string; name: string; role: Role; proof?: Proof };

/**
 * How a user or robot proved who it is: with the account's password (Basic, or the login route
 * that issued nothing yet), with an API token, which may expire, or with a registry token (the
 * OCI token endpoint's answer to a password, short-lived, no API token). A token may not create
 * a token that outlives it (`outlivesProof`). Absent: a caller made by the server itself.
 */
export type Proof =
  | { by: 'password' }
  | { by: 'token'; tokenId: string; expiresAt: string | null }
  | { by: 'registry-token'; expiresAt: string };

/**
 * Whether a token expiring at `expiresAt` (null: never) would outlive the credential the caller
 * proved itself with: a stolen short-lived token must not become the account for ever.
 */
export function outlivesProof(caller: Caller, expiresAt: string | null): boolean {
  if (
    (caller.kind !== 'user' && caller.kind !== 'robot') ||
    caller.proof === undefined ||
    caller.proof.by === 'password' ||
    caller.proof.expiresAt === null
  )
    return false;
  return expiresAt === null || expiresAt > caller.proof.expiresAt;
}

export const OPEN_CALLER: Caller = { kind: 'open' };
export const ANONYMOUS: Caller = { kind: 'anonymous' };

/** The caller's name as the audit trail records it. */
export function callerName(caller: Caller): string {
  switch (caller.kind) {
    case 'user':
      return caller.name;
    case 'robot':
      return `${caller.org}+${caller.name}`;
    case 'anonymous':
      return '(anonymous)';
    case 'open':
      return '(open mode)';
  }
}

function unrestricted(caller: Caller): boolean {
  return caller.kind === 'open' || (caller.kind === 'user' && caller.siteAdmin);
}

/** The role `caller` holds on `namespace`, whose account is `account` (null: no such account). */
export function roleIn(caller: Caller, namespace: string, account: AccountView | null): Role | null {
  if (unrestricted(caller)) return 'admin';
  if (caller.kind === 'robot') return caller.org === namespace && account?.kind === 'organization' ? caller.role : null;
  if (caller.kind === 'user') {
    if (account) return memberRole(account, caller.name);
    return null;
  }
  return null;
}

export function canRead(role: Role | null, visibility: Visibility): boolean {
  return visibility === 'public' || roleAtLeast(role, 'read');
}

/** Throws 401 for a caller with no credentials and 403 for one without the role. */
export function requireRole(caller: Caller, namespace: string, role: Role | null, needed: Role): void {
  if (roleAtLeast(role, needed)) return;
  if (caller.kind === 'anonymous') throw new UnauthorizedError();
  throw ForbiddenError.missingRole(namespace, needed);
}

/**
 * Namespaces whose private packages the caller may see, for list and search; 'all' for an
 * unrestricted caller. `memberships` are the organisations a user belongs to.
 */
export function readableNamespaces(caller: Caller, memberships: readonly string[]): readonly string[] | 'all' {
  if (unrestricted(caller)) return 'all';
  if (caller.kind === 'user') return [caller.name, ...memberships];
  if (caller.kind === 'robot') return [caller.org];
  return [];
}

export function isUnrestricted(caller: Caller): boolean {
  return unrestricted(caller);
}
