/**
 * The state of one namespace's account, folded from its events: a user (who owns the namespace
 * of the same name) or an organisation (whose members and robots hold roles in it). Users and
 * organisations share one space of names, because each owns the namespace it is named after.
 * Secrets never appear here in the clear: passwords as a memory-hard hash, tokens as the
 * SHA-256 of their random secret.
 */
import type { WebhookRecord } from '../webhooks/webhook';
import type { RetentionPolicy } from '../retention/retention-policy';

export type Role = 'read' | 'write' | 'admin';

export const ROLES: readonly Role[] = ['read', 'write', 'admin'];

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 };

/** True when `held` grants at least what `needed` asks. */
export function roleAtLeast(held: Role | null, needed: Role): boolean {
  return held !== null && RANK[held] >= RANK[needed];
}

export function isRole(value: unknown): value is Role {
  return value === 'read' || value === 'write' || value === 'admin';
}

export interface TokenRecord {
  id: string;
  /** Hex SHA-256 of the token's secret part. */
  secretHash: string;
  label: string;
  createdAt: string;
  /** ISO instant after which the token is refused; null: never. */
  expiresAt: string | null;
}

export interface MemberRecord {
  user: string;
  role: Role;
}

export interface RobotRecord {
  /** The robot's short name; its account name is `<org>+<name>`. */
  name: string;
  role: Role;
  tokens: TokenRecord[];
}

/** Per-namespace limits; null: the registry-wide default from configuration applies. */
export interface NamespaceLimits {
  maxBlobBytes: number | null;
  maxStorageBytes: number | null;
  requestsPerMinute: number | null;
  /** Whether a forced push (appr `force`, ChartMuseum `?force`) may replace a release; null: yes. */
  allowOverwrites?: boolean | null;
}

export const NO_LIMITS: NamespaceLimits = {
  maxBlobBytes: null,
  maxStorageBytes: null,
  requestsPerMinute: null,
  allowOverwrites: null,
};

/**
 * The site's own stream: settings that are no namespace's (the site's default retention
 * policy), recorded as account events so the audit trail names who changed them. `_` cannot
 * start a namespace (names.ts), so no user or organisation can take it; its view has kind `site`
 * and is never served as a namespace.
 */
export const SITE_ACCOUNT = '_site';

export interface AccountView {
  namespace: string;
  /** `site`: the stream SITE_ACCOUNT only. */
  kind: 'user' | 'organization' | 'site';
  /** Number of events folded in; 0 for an account that does not exist yet. */
  version: number;
  createdAt: string;
  /** Users only: the password hash in PHC-like form (see the gateway's password hasher). */
  passwordHash: string | null;
  /** Users only: may act on every namespace. */
  siteAdmin: boolean;
  /** Users only: refused at authentication while true. Absent in views stored before it existed: false. */
  disabled?: boolean;
  /** Users only: their API tokens. */
  tokens: TokenRecord[];
  /** Organisations only. */
  members: MemberRecord[];
  /** Organisations only. */
  robots: RobotRecord[];
  limits: NamespaceLimits;
  /** The namespace's webhook subscriptions (absent in views stored before there were any). */
  webhooks?: WebhookRecord[];
  /**
   * The namespace's retention policies, ordered by id (absent in views stored before there were
   * any); on the site's view, the site's default (`site-default`) when one is set.
   */
  retention?: RetentionPolicy[];
}

/** A user's or an organisation's account, one a namespace is: not the site's own stream (SITE_ACCOUNT). */
export function isNamespaceAccount(view: AccountView | null | undefined): view is AccountView {
  return view !== null && view !== undefined && view.kind !== 'site';
}

export function retentionPoliciesOf(view: AccountView): RetentionPolicy[] {
  return view.retention ?? [];
}

export function webhooksOf(view: AccountView): WebhookRecord[] {
  return view.webhooks ?? [];
}

export function findRobot(view: AccountView, name: string): RobotRecord | undefined {
  return view.robots.find((r) => r.name === name);
}

export function memberRole(view: AccountView, user: string): Role | null {
  if (view.kind === 'user') return view.namespace === user ? 'admin' : null;
  return view.members.find((m) => m.user === user)?.role ?? null;
}

/** Whether the token is still valid at `now` (ISO instants compare as strings). */
export function isLive(token: TokenRecord, now: string): boolean {
  return token.expiresAt === null || token.expiresAt > now;
}
