/**
 * Events of the account aggregate (one stream per namespace). They are the audit trail a
 * namespace admin reads, so each records who acted. Password hashes travel in events (the
 * log is the source of truth) but never a password or a token secret.
 */
import type { NamespaceLimits, Role } from './account.view';
import type { Visibility } from '../package/package.view';
import type { SealedSecret, WebhookEventName } from '../webhooks/webhook';
import type { RetentionSettings } from '../retention/retention-policy';
import type { RetentionDeletion } from '../retention/retention.rule';

export type AccountEvent =
  | { type: 'UserRegistered'; data: { passwordHash: string; siteAdmin: boolean } }
  | { type: 'PasswordChanged'; data: { passwordHash: string } }
  /** The operator made a user a site admin (true) or took it back (false). */
  | { type: 'SiteAdminSet'; data: { siteAdmin: boolean } }
  /** The operator disabled a user: no password or token of it is accepted until it is enabled again. */
  | { type: 'UserDisabled'; data: Record<string, never> }
  | { type: 'UserEnabled'; data: Record<string, never> }
  | { type: 'OrganizationCreated'; data: { owner: string } }
  | { type: 'MemberRoleSet'; data: { user: string; role: Role } }
  | { type: 'MemberRemoved'; data: { user: string } }
  | { type: 'RobotRoleSet'; data: { robot: string; role: Role } }
  | { type: 'RobotDeleted'; data: { robot: string } }
  | {
      type: 'TokenIssued';
      /** `robot` null: a token of the user who owns the namespace. */
      data: { robot: string | null; tokenId: string; secretHash: string; label: string; expiresAt: string | null };
    }
  | { type: 'TokenRevoked'; data: { robot: string | null; tokenId: string } }
  | { type: 'NamespaceLimitsSet'; data: { limits: NamespaceLimits } }
  /** Recorded for the audit trail when a package of the namespace changes visibility. */
  | { type: 'PackageVisibilityChanged'; data: { package: string; visibility: Visibility } }
  /** Webhook subscriptions: the secrets travel sealed (never in the clear), and the audit trail hides them too. */
  | {
      type: 'WebhookCreated';
      data: { id: string; url: string; events: WebhookEventName[]; package: string | null; secrets: SealedSecret[] };
    }
  | {
      type: 'WebhookChanged';
      /** `secrets` absent: the secrets stay as they were. */
      data: {
        id: string;
        url: string;
        events: WebhookEventName[];
        package: string | null;
        secrets?: SealedSecret[];
      };
    }
  | { type: 'WebhookActiveSet'; data: { id: string; active: boolean } }
  | { type: 'WebhookDeleted'; data: { id: string } }
  /** A retention policy created or replaced (by id). */
  | { type: 'RetentionPolicySet'; data: { id: string; settings: RetentionSettings } }
  | { type: 'RetentionPolicyDeleted'; data: { id: string } }
  /** On the site's stream (SITE_ACCOUNT) only: a site admin set or replaced the site's default retention policy. */
  | { type: 'SiteRetentionDefaultSet'; data: { settings: RetentionSettings } }
  /** On the site's stream only: the site's default deleted; no default runs from then on, whatever the configuration says. */
  | { type: 'SiteRetentionDefaultDeleted'; data: Record<string, never> }
  /** Recorded for the audit trail when a retention run deleted releases of the namespace: each with its policy. */
  | { type: 'RetentionApplied'; data: { deleted: RetentionDeletion[] } };

export type AccountEventType = AccountEvent['type'];

/** The actor of what the operator does (the configuration, the admin CLI, scheduled retention). */
export const OPERATOR_ACTOR = '-';

export interface RecordedAccountEvent<E extends AccountEvent = AccountEvent> {
  namespace: string;
  /** 1 for the event that created the account, then +1 per event. */
  version: number;
  type: E['type'];
  data: E['data'];
  /** Account name of who caused it (`org+robot` for a robot, `-` for the operator: the configuration or the admin CLI). */
  actor: string;
  occurredAt: string;
}
