import type { AccountView, RecordedAccountEvent, Role } from '@wharf/domain';

export const ACCOUNT_STORE = Symbol('AccountStore');

export interface Membership {
  /** The organisation's namespace. */
  namespace: string;
  role: Role;
}

/** An account as a listing names it. */
export interface AccountEntry {
  namespace: string;
  kind: 'user' | 'organization';
}

/**
 * Accounts (users and organisations), event-sourced: one stream of account events per
 * namespace, which is the source of truth and the namespace's audit trail, and the folded view
 * of each stream. The gateway owns it: every request authenticates against it.
 *
 * When its engine cannot be reached or is overloaded, every method rejects with
 * DependencyUnavailableError (dependency-unavailable.ts): callers wait and retry that, and treat
 * any other error as a fault.
 */
export interface AccountStore {
  /** The namespace's account folded through its last appended event, or null when none exists. */
  get(namespace: string): Promise<AccountView | null>;

  /**
   * Appends `events` (versions expectedVersion+1, +2, …, in order) to the namespace's stream and
   * stores `view`, the account folded through them, when the stream's last version is still
   * `expectedVersion` (0: the account does not exist). Returns false, appending nothing, when
   * another writer got there first; the caller reloads and decides again.
   */
  append(events: readonly RecordedAccountEvent[], view: AccountView, expectedVersion: number): Promise<boolean>;

  /**
   * Every account, in namespace order (byte order of the names): those after `after` (exclusive),
   * at most `limit`. Read from the accounts' first events, so an account is listed as soon as its
   * creation is appended, whatever its folded view's state.
   */
  list(options: { after?: string; limit: number }): Promise<AccountEntry[]>;

  /** Organisations `user` is a member of, with their role, ordered by namespace. */
  memberships(user: string): Promise<Membership[]>;

  /** The namespace's events, newest first, at most `limit`, with versions below `before` when given. */
  history(namespace: string, options: { limit: number; before?: number }): Promise<RecordedAccountEvent[]>;

  close(): Promise<void>;
}
