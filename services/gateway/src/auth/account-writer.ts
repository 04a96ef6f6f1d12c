/**
 * The single place account commands are decided and appended: load the namespace's account,
 * decide, append at the loaded version, and on a conflict (another gateway appended first)
 * reload and decide again. Time and the actor arrive here; the decider stays pure. After an
 * append, ACCOUNT_CHANGES (when the profile has one: the webhook account enqueuer) is told.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  AccountCommand,
  AccountView,
  ConcurrencyConflictError,
  RecordedAccountEvent,
  decideAccount,
  evolveAccount,
} from '@wharf/domain';
import { ACCOUNT_CHANGES, ACCOUNT_STORE, AccountChanges, AccountStore } from '@wharf/ports';
import { AccountDirectory } from './account-directory';

const ATTEMPTS = 5;

@Injectable()
export class AccountWriter {
  constructor(
    @Inject(ACCOUNT_STORE) private readonly store: AccountStore,
    private readonly directory: AccountDirectory,
    @Optional() @Inject(ACCOUNT_CHANGES) private readonly changes: AccountChanges | null = null,
  ) {}

  async execute(
    namespace: string,
    command: AccountCommand,
    actor: string,
    now: Date = new Date(),
  ): Promise<AccountView> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const view = await this.store.get(namespace);
      const events = decideAccount(view, namespace, command);
      if (events.length === 0) return view!;
      const base = view?.version ?? 0;
      const recorded = events.map(
        (event, i) =>
          ({
            namespace,
            version: base + i + 1,
            type: event.type,
            data: event.data,
            actor,
            occurredAt: now.toISOString(),
          }) as RecordedAccountEvent,
      );
      const next = recorded.reduce<AccountView | null>(evolveAccount, view)!;
      if (await this.store.append(recorded, next, base)) {
        this.directory.forget(namespace);
        this.changes?.appended(namespace);
        return next;
      }
    }
    throw new ConcurrencyConflictError(namespace, -1, -1);
  }
}
