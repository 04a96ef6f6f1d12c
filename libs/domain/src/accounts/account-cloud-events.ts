/**
 * Account events as CloudEvents: what an organisation's admins may want to hear about besides
 * packages, membership (users and robots given a role or removed) and tokens (issued, revoked).
 * They come from the namespace's account stream, not from the package log, so their order is the
 * stream's (`version`) and their id is `<namespace>:account:<version>`, stable across retries.
 * Nothing secret travels: a token's hash never leaves the stream. Pure, like webhooks/cloud-events.ts.
 */
import type { AccountEvent, RecordedAccountEvent } from './account.events';
import type { RegistryAddress } from '../public-urls';
import type { CloudEvent, NamedCloudEvent } from '../webhooks/cloud-events';
import type { WebhookEventName } from '../webhooks/webhook';

/** The webhook events account streams make (the rest come from the package log). */
export const ACCOUNT_WEBHOOK_EVENTS: readonly WebhookEventName[] = ['member.changed', 'token.changed'];

/** The CloudEvent id of an account event: unique within the namespace's source. */
export function accountEventId(namespace: string, version: number): string {
  return `${namespace}:account:${version}`;
}

/** The CloudEvents an account event makes (none for most: passwords, limits, subscriptions, policies). */
export function accountCloudEventsOf(event: RecordedAccountEvent, registry: RegistryAddress): NamedCloudEvent[] {
  const make = (name: WebhookEventName, data: Record<string, unknown>): NamedCloudEvent[] => {
    const cloudEvent: CloudEvent = {
      specversion: '1.0',
      id: accountEventId(event.namespace, event.version),
      source: `${registry.origin}/${event.namespace}`,
      type: `io.wharf.${name}`,
      subject: event.namespace,
      time: event.occurredAt,
      datacontenttype: 'application/json',
      data: { namespace: event.namespace, version: event.version, actor: event.actor, ...data },
    };
    return [{ name, event: cloudEvent }];
  };
  const e = { type: event.type, data: event.data } as AccountEvent;
  switch (e.type) {
    case 'MemberRoleSet':
      return make('member.changed', { member: e.data.user, kind: 'user', change: 'role-set', role: e.data.role });
    case 'MemberRemoved':
      return make('member.changed', { member: e.data.user, kind: 'user', change: 'removed', role: null });
    case 'RobotRoleSet':
      return make('member.changed', { member: e.data.robot, kind: 'robot', change: 'role-set', role: e.data.role });
    case 'RobotDeleted':
      return make('member.changed', { member: e.data.robot, kind: 'robot', change: 'removed', role: null });
    case 'TokenIssued':
      return make('token.changed', {
        change: 'issued',
        robot: e.data.robot,
        tokenId: e.data.tokenId,
        label: e.data.label,
        expiresAt: e.data.expiresAt,
      });
    case 'TokenRevoked':
      return make('token.changed', { change: 'revoked', robot: e.data.robot, tokenId: e.data.tokenId });
    // Not webhook events (yet): each new account event is a decision here, the compiler sees to it.
    case 'UserRegistered':
    case 'PasswordChanged':
    case 'SiteAdminSet':
    case 'UserDisabled':
    case 'UserEnabled':
    case 'OrganizationCreated':
    case 'NamespaceLimitsSet':
    case 'PackageVisibilityChanged': // the package log's own event is io.wharf.package.visibility_changed
    case 'WebhookCreated':
    case 'WebhookChanged':
    case 'WebhookActiveSet':
    case 'WebhookDeleted':
    case 'RetentionPolicySet':
    case 'RetentionPolicyDeleted':
    case 'RetentionApplied':
    case 'SiteRetentionDefaultSet':
    case 'SiteRetentionDefaultDeleted':
      return [];
    default: {
      const never: never = e;
      return never;
    }
  }
}
