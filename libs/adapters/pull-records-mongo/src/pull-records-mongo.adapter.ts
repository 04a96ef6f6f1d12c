/**
 * The distributed profile's pull records on MongoDB (and FerretDB v1), shared by every gateway:
 * one document per (package, release), `_id` = `<package>@<release>` (a package name has no
 * `@`), written by an upsert with `$max`, so a time never moves back whichever gateway writes
 * last; a flush is one `bulkWrite`, unordered. `lastPulls` finds by `package` (indexed; FerretDB
 * v1 uses only `_id` and scans, which the retention run pays once per page of 500 packages).
 * The instant recording began is one document of `pull_records_since`, inserted by the first
 * connect (`$setOnInsert`: a later connect, from any gateway, leaves it as it is). Token last
 * uses are `token_uses`, one document per (account, token), `_id` = `<account>/<tokenId>` (an
 * account name has no `/`), written the same way (`$max`, one unordered `bulkWrite` a flush).
 */
import type { AnyBulkWriteOperation, Collection, MongoClient } from 'mongodb';
import { MongoConnectionOptions, connectMongo, translateMongoOutages } from '@wharf/adapters/mongo';
import type { PullRecord, PullRecordStore, TokenUse } from '@wharf/ports';

export type MongoPullRecordStoreOptions = MongoConnectionOptions;

interface PullDocument {
  _id: string;
  package: string;
  release: string;
  pulledAt: string;
}

interface TokenUseDocument {
  _id: string;
  account: string;
  tokenId: string;
  usedAt: string;
}

interface SinceDocument {
  _id: string;
  since: string;
}

const DUPLICATE_KEY = 11000;
const SINCE_ID = 'since';
const LOOKUP_PAGE = 500;

export class MongoPullRecordStore implements PullRecordStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly pulls: Collection<PullDocument>,
    private readonly since: Collection<SinceDocument>,
    private readonly tokenUses: Collection<TokenUseDocument>,
  ) {}

  static async connect(options: MongoPullRecordStoreOptions): Promise<MongoPullRecordStore> {
    return connectMongo(options, async ({ client, db, prefix }) => {
      const pulls = db.collection<PullDocument>(`${prefix}pull_records`);
      await pulls.createIndex({ package: 1 }, { name: 'by_package' });
      const since = db.collection<SinceDocument>(`${prefix}pull_records_since`);
      try {
        await since.updateOne(
          { _id: SINCE_ID },
          { $setOnInsert: { since: new Date().toISOString() } },
          { upsert: true },
        );
      } catch (error) {
        // Two gateways starting at once: one upsert loses on the key, and the other's time stands.
        if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      }
      const tokenUses = db.collection<TokenUseDocument>(`${prefix}token_uses`);
      await tokenUses.createIndex({ account: 1 }, { name: 'by_account' });
      return new MongoPullRecordStore(client, pulls, since, tokenUses);
    });
  }

  async recordedSince(): Promise<string> {
    const doc = await this.since.findOne({ _id: SINCE_ID });
    if (!doc) throw new Error('pull_records_since lost its document: it is written when the store connects');
    return doc.since;
  }

  /** The flush in progress: the next waits for it (see the header). */
  private flushing: Promise<void> = Promise.resolve();

  record(pulls: readonly PullRecord[]): Promise<void> {
    const flush = this.flushing.then(() => this.write(pulls));
    this.flushing = flush.catch(() => undefined);
    return flush;
  }

  private async write(pulls: readonly PullRecord[]): Promise<void> {
    if (pulls.length === 0) return;
    const latest = new Map<string, PullRecord>();
    for (const p of pulls) {
      const key = `${p.package}@${p.release}`;
      const seen = latest.get(key);
      if (!seen || seen.pulledAt < p.pulledAt) latest.set(key, p);
    }
    const operations: AnyBulkWriteOperation<PullDocument>[] = [...latest].map(([_id, p]) => ({
      updateOne: {
        filter: { _id },
        update: { $max: { pulledAt: p.pulledAt }, $setOnInsert: { package: p.package, release: p.release } },
        upsert: true,
      },
    }));
    try {
      await this.pulls.bulkWrite(operations, { ordered: false });
    } catch (error) {
      // Two gateways inserting the same new record at once: one insert loses on the key, and its
      // $max then applies to the document the other inserted.
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      await this.pulls.bulkWrite(operations, { ordered: false });
    }
  }

  recordTokenUses(uses: readonly TokenUse[]): Promise<void> {
    const flush = this.flushing.then(() => this.writeTokenUses(uses));
    this.flushing = flush.catch(() => undefined);
    return flush;
  }

  private async writeTokenUses(uses: readonly TokenUse[]): Promise<void> {
    if (uses.length === 0) return;
    const latest = new Map<string, TokenUse>();
    for (const u of uses) {
      const key = `${u.account}/${u.tokenId}`;
      const seen = latest.get(key);
      if (!seen || seen.usedAt < u.usedAt) latest.set(key, u);
    }
    const operations: AnyBulkWriteOperation<TokenUseDocument>[] = [...latest].map(([_id, u]) => ({
      updateOne: {
        filter: { _id },
        update: { $max: { usedAt: u.usedAt }, $setOnInsert: { account: u.account, tokenId: u.tokenId } },
        upsert: true,
      },
    }));
    try {
      await this.tokenUses.bulkWrite(operations, { ordered: false });
    } catch (error) {
      // As for pulls: a racing insert of the same new record loses on the key, then its $max applies.
      if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      await this.tokenUses.bulkWrite(operations, { ordered: false });
    }
  }

  async lastTokenUses(accounts: readonly string[]): Promise<TokenUse[]> {
    const out: TokenUse[] = [];
    for (let i = 0; i < accounts.length; i += LOOKUP_PAGE) {
      const page = accounts.slice(i, i + LOOKUP_PAGE);
      for (const d of await this.tokenUses.find({ account: { $in: page } }).toArray())
        out.push({ account: d.account, tokenId: d.tokenId, usedAt: d.usedAt });
    }
    return out;
  }

  async lastPulls(packages: readonly string[]): Promise<PullRecord[]> {
    const out: PullRecord[] = [];
    for (let i = 0; i < packages.length; i += LOOKUP_PAGE) {
      const page = packages.slice(i, i + LOOKUP_PAGE);
      for (const d of await this.pulls.find({ package: { $in: page } }).toArray())
        out.push({ package: d.package, release: d.release, pulledAt: d.pulledAt });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

translateMongoOutages(MongoPullRecordStore);
