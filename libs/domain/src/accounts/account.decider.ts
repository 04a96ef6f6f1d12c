/**
 * The account aggregate as decide/evolve: `decideAccount` turns a command into events or
 * refuses it with a typed error; `evolveAccount` folds one recorded event into the view. Both
 * are pure: ids, hashes and time arrive in the command, so replaying a stream gives the same
 * view every time.
 */
import {
  AccountExistsError,
  AccountNotFoundError,
  InvalidUsageError,
  RetentionPolicyNotFoundError,
  WebhookNotFoundError,
} from '../errors';
import {
  MAX_RETENTION_POLICIES,
  RetentionPolicy,
  RetentionSettings,
  SITE_DEFAULT_POLICY_ID,
} from '../retention/retention-policy';
import type { RetentionDeletion } from '../retention/retention.rule';
import {
  MAX_WEBHOOKS_PER_NAMESPACE,
  SECRET_ROTATION_OVERLAP_MS,
  WebhookRecord,
  WebhookSettings,
} from '../webhooks/webhook';
import type { Visibility } from '../package/package.view';
import type { AccountEvent, RecordedAccountEvent } from './account.events';
import {
  AccountView,
  NO_LIMITS,
  NamespaceLimits,
  Role,
  SITE_ACCOUNT,
  TokenRecord,
  findRobot,
  isLive,
  retentionPoliciesOf,
  webhooksOf,
} from './account.view';

/**
 * Login tokens (label LOGIN_LABEL, one per `appr login`) kept per user: a new login drops the
 * oldest beyond this. Tokens made on purpose (API and robot tokens) are never dropped: past
 * MAX_API_TOKENS the next one is refused until one is revoked.
 */
export const LOGIN_LABEL = 'login';
export const MAX_LOGIN_TOKENS = 50;
export const MAX_API_TOKENS = 100;

export type AccountCommand =
  | { type: 'RegisterUser'; passwordHash: string; siteAdmin: boolean }
  /** Revokes every token of the user, then issues `replacementToken` (if any), the one the caller goes on with. */
  | { type: 'ChangePassword'; passwordHash: string; replacementToken?: NewToken }
  | { type: 'CreateOrganization'; owner: string }
  /** The operator's (the admin CLI): grant or take back site admin. */
  | { type: 'SetSiteAdmin'; siteAdmin: boolean }
  /** The operator's (the admin CLI): disabling revokes every token, enabling issues none. */
  | { type: 'SetUserDisabled'; disabled: boolean }
  | { type: 'SetMemberRole'; user: string; role: Role }
  | { type: 'RemoveMember'; user: string }
  | { type: 'SetRobotRole'; robot: string; role: Role }
  | { type: 'DeleteRobot'; robot: string }
  | {
      type: 'IssueToken';
      robot: string | null;
      tokenId: string;
      secretHash: string;
      label: string;
      expiresAt: string | null;
    }
  | { type: 'RevokeToken'; robot: string | null; tokenId: string }
  | { type: 'SetLimits'; limits: NamespaceLimits }
  | { type: 'RecordVisibility'; package: string; visibility: Visibility }
  | { type: 'CreateWebhook'; id: string; settings: WebhookSettings; sealedSecret: string }
  /** `sealedSecret`: a new secret; the current one then keeps signing until `now` + the rotation overlap. */
  | { type: 'ChangeWebhook'; id: string; settings: WebhookSettings; sealedSecret: string | null; now: string }
  | { type: 'SetWebhookActive'; id: string; active: boolean }
  | { type: 'DeleteWebhook'; id: string }
  /** Creates the policy `id` or replaces its settings. */
  | { type: 'SetRetentionPolicy'; id: string; settings: RetentionSettings }
  | { type: 'DeleteRetentionPolicy'; id: string }
  /** What a retention run deleted in the namespace, for its audit trail. */
  | { type: 'RecordRetention'; deleted: RetentionDeletion[] }
  /** The site's stream (SITE_ACCOUNT) only: create or replace the site's default retention policy. */
  | { type: 'SetSiteRetentionDefault'; settings: RetentionSettings }
  /**
   * The site's stream only: no site default from now on, the configuration's included.
   * `configured`: whether the configuration names one, so there is one to delete though the
   * stream has none yet.
   */
  | { type: 'DeleteSiteRetentionDefault'; configured: boolean };

type SiteCommand = Extract<AccountCommand, { type: 'SetSiteRetentionDefault' | 'DeleteSiteRetentionDefault' }>;

const isSiteCommand = (command: AccountCommand): command is SiteCommand =>
  command.type === 'SetSiteRetentionDefault' || command.type === 'DeleteSiteRetentionDefault';

/** A token about to be issued: its id, the hash of its secret, label and expiry (null: never). */
export interface NewToken {
  tokenId: string;
  secretHash: string;
  label: string;
  expiresAt: string | null;
}

export function decideAccount(view: AccountView | null, namespace: string, command: AccountCommand): AccountEvent[] {
  if (namespace === SITE_ACCOUNT || isSiteCommand(command)) return decideSite(view, namespace, command);
  if (command.type === 'RegisterUser') {
    if (view) throw new AccountExistsError(namespace);
    return [{ type: 'UserRegistered', data: { passwordHash: command.passwordHash, siteAdmin: command.siteAdmin } }];
  }
  if (command.type === 'CreateOrganization') {
    if (view) throw new AccountExistsError(namespace);
    return [{ type: 'OrganizationCreated', data: { owner: command.owner } }];
  }
  if (!view) throw new AccountNotFoundError('organization', namespace);
  switch (command.type) {
    case 'ChangePassword':
      // A password change is how an account is taken back: no token issued before it survives.
      requireKind(view, 'user');
      return [
        { type: 'PasswordChanged', data: { passwordHash: command.passwordHash } },
        ...view.tokens.map((t): AccountEvent => ({ type: 'TokenRevoked', data: { robot: null, tokenId: t.id } })),
        ...(command.replacementToken
          ? [{ type: 'TokenIssued', data: { robot: null, ...command.replacementToken } } as AccountEvent]
          : []),
      ];
    case 'SetSiteAdmin':
      requireKind(view, 'user');
      if (view.siteAdmin === command.siteAdmin) return [];
      return [{ type: 'SiteAdminSet', data: { siteAdmin: command.siteAdmin } }];
    case 'SetUserDisabled':
      requireKind(view, 'user');
      if ((view.disabled ?? false) === command.disabled) return [];
      if (!command.disabled) return [{ type: 'UserEnabled', data: {} }];
      return [
        { type: 'UserDisabled', data: {} },
        ...view.tokens.map((t): AccountEvent => ({ type: 'TokenRevoked', data: { robot: null, tokenId: t.id } })),
      ];
    case 'SetMemberRole': {
      requireKind(view, 'organization');
      const current = view.members.find((m) => m.user === command.user);
      if (current?.role === command.role) return [];
      if (current?.role === 'admin' && command.role !== 'admin') assertAnotherAdmin(view, command.user);
      return [{ type: 'MemberRoleSet', data: { user: command.user, role: command.role } }];
    }
    case 'RemoveMember':
      requireKind(view, 'organization');
      if (!view.members.some((m) => m.user === command.user)) throw new AccountNotFoundError('member', command.user);
      assertAnotherAdmin(view, command.user);
      return [{ type: 'MemberRemoved', data: { user: command.user } }];
    case 'SetRobotRole':
      requireKind(view, 'organization');
      if (findRobot(view, command.robot)?.role === command.role) return [];
      return [{ type: 'RobotRoleSet', data: { robot: command.robot, role: command.role } }];
    case 'DeleteRobot':
      requireKind(view, 'organization');
      if (!findRobot(view, command.robot)) throw new AccountNotFoundError('robot', `${namespace}+${command.robot}`);
      return [{ type: 'RobotDeleted', data: { robot: command.robot } }];
    case 'IssueToken': {
      const { type: _type, ...data } = command;
      if (command.robot === null) requireKind(view, 'user');
      else if (!findRobot(view, command.robot))
        throw new AccountNotFoundError('robot', `${namespace}+${command.robot}`);
      if (
        command.label !== LOGIN_LABEL &&
        tokensOf(view, command.robot).filter((t) => t.label !== LOGIN_LABEL).length >= MAX_API_TOKENS
      ) {
        throw new InvalidUsageError(`at most ${MAX_API_TOKENS} tokens: revoke one first`, { limit: MAX_API_TOKENS });
      }
      return [{ type: 'TokenIssued', data }];
    }
    case 'RevokeToken': {
      if (!tokensOf(view, command.robot).some((t) => t.id === command.tokenId))
        throw new AccountNotFoundError('token', command.tokenId);
      return [{ type: 'TokenRevoked', data: { robot: command.robot, tokenId: command.tokenId } }];
    }
    case 'SetLimits':
      return [{ type: 'NamespaceLimitsSet', data: { limits: command.limits } }];
    case 'RecordVisibility':
      return [{ type: 'PackageVisibilityChanged', data: { package: command.package, visibility: command.visibility } }];
    case 'CreateWebhook':
      if (webhooksOf(view).length >= MAX_WEBHOOKS_PER_NAMESPACE)
        throw new InvalidUsageError(`at most ${MAX_WEBHOOKS_PER_NAMESPACE} webhooks per namespace: delete one first`, {
          limit: MAX_WEBHOOKS_PER_NAMESPACE,
        });
      return [
        {
          type: 'WebhookCreated',
          data: { id: command.id, ...command.settings, secrets: [{ sealed: command.sealedSecret, until: null }] },
        },
      ];
    case 'ChangeWebhook': {
      const webhook = findWebhook(view, command.id);
      if (!command.sealedSecret) return [{ type: 'WebhookChanged', data: { id: command.id, ...command.settings } }];
      const until = new Date(Date.parse(command.now) + SECRET_ROTATION_OVERLAP_MS).toISOString();
      const current = webhook.secrets.find((s) => s.until === null);
      const secrets = [{ sealed: command.sealedSecret, until: null }, ...(current ? [{ ...current, until }] : [])];
      return [{ type: 'WebhookChanged', data: { id: command.id, ...command.settings, secrets } }];
    }
    case 'SetWebhookActive':
      if (findWebhook(view, command.id).active === command.active) return [];
      return [{ type: 'WebhookActiveSet', data: { id: command.id, active: command.active } }];
    case 'DeleteWebhook':
      findWebhook(view, command.id);
      return [{ type: 'WebhookDeleted', data: { id: command.id } }];
    case 'SetRetentionPolicy': {
      const policies = retentionPoliciesOf(view);
      const current = policies.find((p) => p.id === command.id);
      if (!current && policies.length >= MAX_RETENTION_POLICIES)
        throw new InvalidUsageError(
          `at most ${MAX_RETENTION_POLICIES} retention policies per namespace: delete one first`,
          { limit: MAX_RETENTION_POLICIES },
        );
      if (current && sameSettings(current, command.settings)) return [];
      return [{ type: 'RetentionPolicySet', data: { id: command.id, settings: command.settings } }];
    }
    case 'DeleteRetentionPolicy':
      findRetentionPolicy(view, command.id);
      return [{ type: 'RetentionPolicyDeleted', data: { id: command.id } }];
    case 'RecordRetention':
      return command.deleted.length === 0 ? [] : [{ type: 'RetentionApplied', data: { deleted: command.deleted } }];
  }
}

/** The site's stream takes the site's commands only, and they go nowhere else. */
function decideSite(view: AccountView | null, namespace: string, command: AccountCommand): AccountEvent[] {
  if (namespace !== SITE_ACCOUNT || !isSiteCommand(command)) throw new AccountNotFoundError('organization', namespace);
  const current = view ? retentionPoliciesOf(view).find((p) => p.id === SITE_DEFAULT_POLICY_ID) : undefined;
  switch (command.type) {
    case 'SetSiteRetentionDefault':
      if (current && sameSettings(current, command.settings)) return [];
      return [{ type: 'SiteRetentionDefaultSet', data: { settings: command.settings } }];
    case 'DeleteSiteRetentionDefault':
      // None in force: nothing set here, and the configuration's is either absent or already turned off here.
      if (!current && (view !== null || !command.configured))
        throw new RetentionPolicyNotFoundError(SITE_ACCOUNT, SITE_DEFAULT_POLICY_ID);
      return [{ type: 'SiteRetentionDefaultDeleted', data: {} }];
  }
}

/** The site's view before its first event: no members, no tokens, no default. */
function emptySite(event: RecordedAccountEvent): AccountView {
  return { ...newAccount(event, 'site', 0), retention: [] };
}

/** An account as its first event makes it: no password, members, tokens, robots or limits yet. */
function newAccount(event: RecordedAccountEvent, kind: AccountView['kind'], version: number): AccountView {
  return {
    namespace: event.namespace,
    kind,
    version,
    createdAt: event.occurredAt,
    passwordHash: null,
    siteAdmin: false,
    tokens: [],
    members: [],
    robots: [],
    limits: NO_LIMITS,
  };
}

export function evolveAccount(view: AccountView | null, event: RecordedAccountEvent): AccountView {
  if (!view && (event.type === 'SiteRetentionDefaultSet' || event.type === 'SiteRetentionDefaultDeleted'))
    view = emptySite(event);
  if (event.type === 'UserRegistered' || event.type === 'OrganizationCreated') {
    const base = newAccount(event, event.type === 'UserRegistered' ? 'user' : 'organization', event.version);
    if (event.type === 'UserRegistered') {
      const data = event.data as Extract<AccountEvent, { type: 'UserRegistered' }>['data'];
      return { ...base, passwordHash: data.passwordHash, siteAdmin: data.siteAdmin };
    }
    const data = event.data as Extract<AccountEvent, { type: 'OrganizationCreated' }>['data'];
    return { ...base, members: [{ user: data.owner, role: 'admin' }] };
  }
  if (!view) throw new Error(`account event ${event.type} for ${event.namespace} before the account was created`);
  const next: AccountView = { ...view, version: event.version };
  const e = { type: event.type, data: event.data } as AccountEvent;
  switch (e.type) {
    case 'PasswordChanged':
      return { ...next, passwordHash: e.data.passwordHash };
    case 'SiteAdminSet':
      return { ...next, siteAdmin: e.data.siteAdmin };
    case 'UserDisabled':
      return { ...next, disabled: true };
    case 'UserEnabled':
      return { ...next, disabled: false };
    case 'MemberRoleSet':
      return {
        ...next,
        members: [...view.members.filter((m) => m.user !== e.data.user), { user: e.data.user, role: e.data.role }],
      };
    case 'MemberRemoved':
      return { ...next, members: view.members.filter((m) => m.user !== e.data.user) };
    case 'RobotRoleSet': {
      const existing = findRobot(view, e.data.robot);
      const robot = { name: e.data.robot, role: e.data.role, tokens: existing?.tokens ?? [] };
      return { ...next, robots: [...view.robots.filter((r) => r.name !== e.data.robot), robot] };
    }
    case 'RobotDeleted':
      return { ...next, robots: view.robots.filter((r) => r.name !== e.data.robot) };
    case 'TokenIssued': {
      const { robot, tokenId, ...rest } = e.data;
      const token: TokenRecord = { id: tokenId, ...rest, createdAt: event.occurredAt };
      const live = [...tokensOf(view, robot).filter((t) => isLive(t, event.occurredAt)), token];
      const logins = live.filter((t) => t.label === LOGIN_LABEL);
      const dropped = new Set(logins.slice(0, Math.max(0, logins.length - MAX_LOGIN_TOKENS)).map((t) => t.id));
      return withTokens(
        next,
        robot,
        live.filter((t) => !dropped.has(t.id)),
      );
    }
    case 'TokenRevoked':
      return withTokens(
        next,
        e.data.robot,
        tokensOf(view, e.data.robot).filter((t) => t.id !== e.data.tokenId),
      );
    case 'NamespaceLimitsSet':
      return { ...next, limits: e.data.limits };
    case 'PackageVisibilityChanged':
      return next;
    case 'WebhookCreated': {
      const webhook: WebhookRecord = {
        ...e.data,
        active: true,
        createdAt: event.occurredAt,
        updatedAt: event.occurredAt,
      };
      return { ...next, webhooks: [...webhooksOf(view), webhook] };
    }
    case 'WebhookChanged': {
      const { id, ...changed } = e.data;
      return withWebhook(next, id, (w) => ({ ...w, ...changed, updatedAt: event.occurredAt }));
    }
    case 'WebhookActiveSet':
      return withWebhook(next, e.data.id, (w) => ({ ...w, active: e.data.active, updatedAt: event.occurredAt }));
    case 'WebhookDeleted':
      return { ...next, webhooks: webhooksOf(view).filter((w) => w.id !== e.data.id) };
    case 'RetentionPolicySet': {
      const current = retentionPoliciesOf(view).find((p) => p.id === e.data.id);
      const policy: RetentionPolicy = {
        id: e.data.id,
        ...e.data.settings,
        createdAt: current?.createdAt ?? event.occurredAt,
        updatedAt: event.occurredAt,
      };
      const others = retentionPoliciesOf(view).filter((p) => p.id !== e.data.id);
      return { ...next, retention: [...others, policy].sort((a, b) => (a.id < b.id ? -1 : 1)) };
    }
    case 'RetentionPolicyDeleted':
      return { ...next, retention: retentionPoliciesOf(view).filter((p) => p.id !== e.data.id) };
    case 'RetentionApplied':
      return next;
    case 'SiteRetentionDefaultSet': {
      const current = retentionPoliciesOf(view).find((p) => p.id === SITE_DEFAULT_POLICY_ID);
      const policy: RetentionPolicy = {
        id: SITE_DEFAULT_POLICY_ID,
        ...e.data.settings,
        createdAt: current?.createdAt ?? event.occurredAt,
        updatedAt: event.occurredAt,
      };
      return { ...next, retention: [policy] };
    }
    case 'SiteRetentionDefaultDeleted':
      return { ...next, retention: [] };
    default:
      return next;
  }
}

export function foldAccount(events: readonly RecordedAccountEvent[]): AccountView | null {
  return events.reduce<AccountView | null>((view, event) => evolveAccount(view, event), null);
}

export function tokensOf(view: AccountView, robot: string | null): TokenRecord[] {
  return robot === null ? view.tokens : (findRobot(view, robot)?.tokens ?? []);
}

function withTokens(view: AccountView, robot: string | null, tokens: TokenRecord[]): AccountView {
  if (robot === null) return { ...view, tokens };
  return { ...view, robots: view.robots.map((r) => (r.name === robot ? { ...r, tokens } : r)) };
}

export function findWebhook(view: AccountView, id: string): WebhookRecord {
  const webhook = webhooksOf(view).find((w) => w.id === id);
  if (!webhook) throw new WebhookNotFoundError(view.namespace, id);
  return webhook;
}

export function findRetentionPolicy(view: AccountView, id: string): RetentionPolicy {
  const policy = retentionPoliciesOf(view).find((p) => p.id === id);
  if (!policy) throw new RetentionPolicyNotFoundError(view.namespace, id);
  return policy;
}

function sameSettings(policy: RetentionPolicy, settings: RetentionSettings): boolean {
  return (Object.keys(settings) as (keyof RetentionSettings)[]).every((k) => policy[k] === settings[k]);
}

function withWebhook(view: AccountView, id: string, change: (w: WebhookRecord) => WebhookRecord): AccountView {
  return { ...view, webhooks: webhooksOf(view).map((w) => (w.id === id ? change(w) : w)) };
}

function requireKind(view: AccountView, kind: AccountView['kind']): void {
  if (view.kind !== kind) throw new AccountNotFoundError(kind === 'user' ? 'user' : 'organization', view.namespace);
}

function assertAnotherAdmin(view: AccountView, leaving: string): void {
  if (!view.members.some((m) => m.role === 'admin' && m.user !== leaving)) {
    throw new InvalidUsageError('an organization must keep at least one admin', {
      organization: view.namespace,
      user: leaving,
    });
  }
}
