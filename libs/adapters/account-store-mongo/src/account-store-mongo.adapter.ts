/**
 * The distributed profile's account store on MongoDB (and FerretDB v1, which the local backends
 * run). Same semantics as account-store-sqlite.
 *
 * The events are the truth: one document per event, `_id` = `<namespace>@<version>`, so the
 * primary key makes an append exclusive (FerretDB v1 has no transactions and no atomic
 * conditional update; see metadata-mongo for the measurements). The folded view is kept in
 * `<prefix>accounts` (`_id` = namespace) as a cache: it is written after the events, by a plain
 * replace that a slower writer may overwrite with an older view, so `get` reads the cached view
 * and then looks up `<namespace>@<version+1>`, `+2`, … by key, folding whatever the cache
 * missed, and repairs the cache when it found any. Every lookup is by `_id`, the only index
 * FerretDB v1 uses. `memberships` filters the cached views (a collection scan on FerretDB; the
 * number of organisations is small).
 *
 * The wire stores every event in one insert; commands produce at most one event, so an append
 * is all or nothing.
 */
import { MongoServerError } from 'mongodb';
import type { Collection, MongoClient } from 'mongodb';
import { MongoConnectionOptions, connectMongo } from '@wharf/adapters/mongo';
import { AccountView, RecordedAccountEvent, Role, evolveAccount, isRole } from '@wharf/domain';
import type { AccountEntry, AccountStore, Membership } from '@wharf/ports';
import { translateMongoOutages } from '@wharf/adapters/mongo';

export type MongoAccountStoreOptions = MongoConnectionOptions;

interface EventDocument {
  _id: string;
  namespace: string;
  version: number;
  type: string;
  /** The event's data as JSON text. */
  data: string;
  actor: string;
  occurredAt: string;
}

interface AccountDocument {
  _id: string;
  version: number;
  view: string;
  members: { user: string; role: string }[];
}

const DUPLICATE_KEY = 11000;

export class MongoAccountStore implements AccountStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly events: Collection<EventDocument>,
    private readonly accounts: Collection<AccountDocument>,
  ) {}

  static async connect(options: MongoAccountStoreOptions): Promise<MongoAccountStore> {
    return connectMongo(
      options,
      async ({ client, db, prefix }) =>
        new MongoAccountStore(client, db.collection(`${prefix}account_events`), db.collection(`${prefix}accounts`)),
    );
  }

  async get(namespace: string): Promise<AccountView | null> {
    const cached = await this.accounts.findOne({ _id: namespace });
    let view = cached ? (JSON.parse(cached.view) as AccountView) : null;
    let caughtUp = false;
    for (;;) {
      const next = await this.events.findOne({ _id: eventId(namespace, (view?.version ?? 0) + 1) });
      if (!next) break;
      view = evolveAccount(view, recorded(next));
      caughtUp = true;
    }
    if (caughtUp && view) await this.storeView(view);
    return view;
  }

  async append(events: readonly RecordedAccountEvent[], view: AccountView, expectedVersion: number): Promise<boolean> {
    const [first] = events;
    if (!first) return true;
    if (first.version !== expectedVersion + 1)
      throw new Error(`append: first event has version ${first.version}, expected ${expectedVersion + 1}`);
    try {
      await this.events.insertMany(
        events.map((e) => ({
          _id: eventId(e.namespace, e.version),
          namespace: e.namespace,
          version: e.version,
          type: e.type,
          data: JSON.stringify(e.data),
          actor: e.actor,
          occurredAt: e.occurredAt,
        })),
        { ordered: true },
      );
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
    await this.storeView(view);
    return true;
  }

  async list(options: { after?: string; limit: number }): Promise<AccountEntry[]> {
    // Sorted in memory: FerretDB v1 sorts by `_id` only with an index, and `_id` (namespace@version)
    // does not order namespaces. An operator's listing; the creating events are one per account.
    const docs = await this.events
      .find({ version: 1, namespace: { $gt: options.after ?? '' } }, { projection: { namespace: 1, type: 1 } })
      .toArray();
    return docs
      .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))
      .slice(0, options.limit)
      .map((d) => ({ namespace: d.namespace, kind: d.type === 'OrganizationCreated' ? 'organization' : 'user' }));
  }

  async memberships(user: string): Promise<Membership[]> {
    const docs = await this.accounts.find({ 'members.user': user }).toArray();
    return docs
      .flatMap((d) =>
        d.members
          .filter((m) => m.user === user && isRole(m.role))
          .map((m) => ({ namespace: d._id, role: m.role as Role })),
      )
      .sort((a, b) => a.namespace.localeCompare(b.namespace));
  }

  async history(namespace: string, options: { limit: number; before?: number }): Promise<RecordedAccountEvent[]> {
    const docs = await this.events
      .find({ namespace, version: { $lt: options.before ?? Number.MAX_SAFE_INTEGER } })
      .sort({ version: -1 })
      .limit(options.limit)
      .toArray();
    return docs.map(recorded);
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async storeView(view: AccountView): Promise<void> {
    await this.accounts.replaceOne(
      { _id: view.namespace },
      {
        version: view.version,
        view: JSON.stringify(view),
        members: view.members.map((m) => ({ user: m.user, role: m.role })),
      },
      { upsert: true },
    );
  }
}

function eventId(namespace: string, version: number): string {
  return `${namespace}@${version}`;
}

function recorded(doc: EventDocument): RecordedAccountEvent {
  return {
    namespace: doc.namespace,
    version: doc.version,
    type: doc.type,
    data: JSON.parse(doc.data),
    actor: doc.actor,
    occurredAt: doc.occurredAt,
  } as RecordedAccountEvent;
}

// MongoDB's connection errors leave every method as the ports' DependencyUnavailableError (mongo-outage.ts in libs/adapters/mongo).
translateMongoOutages(MongoAccountStore);
