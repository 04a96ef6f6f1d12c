/**
 * The JSON shapes of the account routes (Quay's where it has one). No secret is ever part of an
 * answer except a token's text at the moment it is created.
 */
import type { AccountView, NamespaceLimits, RecordedAccountEvent, TokenRecord } from '@wharf/domain';
import { tokenUseKey } from '../auth/token-use-recorder';

/**
 * `lastUsedAt`: the token's last use as the TokenUseRecorder knows it (ISO instant), null if
 * never; left out (no `last_used_at`) where it is not known: the CLI reads the account store only.
 */
export function tokenJson(token: TokenRecord, lastUsedAt?: string | null) {
  return {
    id: token.id,
    label: token.label,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    ...(lastUsedAt !== undefined && { last_used_at: lastUsedAt }),
  };
}

export function limitsJson(limits: NamespaceLimits) {
  return {
    max_blob_bytes: limits.maxBlobBytes,
    max_storage_bytes: limits.maxStorageBytes,
    requests_per_minute: limits.requestsPerMinute,
    allow_overwrites: limits.allowOverwrites ?? null,
  };
}

/** A robot's full name: `<org>+<robot>`. */
export function robotName(org: string, robot: string): string {
  return `${org}+${robot}`;
}

/** `lastUses`: its robots' token uses, keyed by tokenUseKey; left out as in tokenJson. */
export function organizationJson(view: AccountView, lastUses?: ReadonlyMap<string, string>) {
  return {
    name: view.namespace,
    created_at: view.createdAt,
    members: [...view.members]
      .sort((a, b) => a.user.localeCompare(b.user))
      .map((m) => ({ user: m.user, role: m.role })),
    robots: [...view.robots]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => {
        const name = robotName(view.namespace, r.name);
        return {
          name,
          role: r.role,
          tokens: r.tokens.map((t) => tokenJson(t, lastUses && (lastUses.get(tokenUseKey(name, t.id)) ?? null))),
        };
      }),
  };
}

/** An audit entry: the event without secrets (password and token hashes are left out). */
export function auditJson(event: RecordedAccountEvent) {
  const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
  delete data.passwordHash;
  delete data.secretHash;
  // A webhook's secrets are sealed, yet no reader of the trail needs even that: it says a secret was set.
  if ('secrets' in data) {
    delete data.secrets;
    data.secret_set = true;
  }
  return { version: event.version, type: event.type, actor: event.actor, occurred_at: event.occurredAt, data };
}
