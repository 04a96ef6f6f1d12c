/**
 * Account views as the request path reads them, through a short-lived cache: a request looks
 * up the caller's account and the namespace's account, often the same few accounts many times
 * a second. Writes through this gateway drop the entry at once; a change made through another
 * gateway replica is seen within `ttlMs` (one second by default), which bounds how long a
 * revoked token or a removed member keeps working there.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { AccountView, RecordedAccountEvent } from '@wharf/domain';
import { ACCOUNT_STORE, AccountStore, Membership } from '@wharf/ports';

const MAX_ENTRIES = 10_000;

@Injectable()
export class AccountDirectory {
  private readonly cache = new Map<string, { view: AccountView | null; until: number }>();
  private readonly ttlMs = 1_000;

  constructor(@Inject(ACCOUNT_STORE) private readonly store: AccountStore) {}

  async get(namespace: string): Promise<AccountView | null> {
    const now = Date.now();
    const hit = this.cache.get(namespace);
    if (hit && hit.until > now) return hit.view;
    const view = await this.store.get(namespace);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(namespace, { view, until: now + this.ttlMs });
    return view;
  }

  memberships(user: string): Promise<Membership[]> {
    return this.store.memberships(user);
  }

  history(namespace: string, options: { limit: number; before?: number }): Promise<RecordedAccountEvent[]> {
    return this.store.history(namespace, options);
  }

  forget(namespace: string): void {
    this.cache.delete(namespace);
  }
}
