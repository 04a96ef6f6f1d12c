/**
 * The webhook outbox and delivery log on MongoDB (and FerretDB v1, which the local backends run:
 * no transactions, no atomic conditional update, only the `_id` index used). Shaped for that:
 *
 * - A delivery's `_id` is `<subscription>~<eventId>`, so enqueuing it again is a duplicate key
 *   (ignored): `enqueue` inserts the deliveries first and writes the package marks after, and a
 *   crash in between leaves the batch to be handed over again, which adds nothing twice.
 * - A lane's order is the log's: (`sequence`, then the order within the event), stored as
 *   `laneOrder`; `due` scans the pending deliveries' keys (lane, order, due time, rank: a
 *   projection, never the bodies), takes each lane's lowest, keeps the replica's shard, limits,
 *   and only then reads the bodies of what it hands out. The pending set is what is in flight or
 *   retrying, and a failing subscription's backlog under WHARF_WEBHOOK_WHEN_FAILING=wait: each
 *   tick still scans its keys, a cost no benchmark has measured.
 * - `tries` is not a field anyone increments: FerretDB v1 has no atomic `$inc` against a filter,
 *   and a read-then-write loses attempts when two replicas record at once. Each attempt is an
 *   insert (never lost), tagged with the delivery's `epoch`; `tries` is the count of attempts of
 *   the current epoch. Resume and redeliver set a fresh epoch (a blind `$set`, no read), which is
 *   "fresh retries" without touching the attempts the delivery log shows.
 * - `rank` (enqueue time in microseconds plus the position in the call) orders the delivery log
 *   newest first, and attempts likewise.
 *
 * The distributed profile's webhooks service keeps its outbox here (services/webhooks/src/main.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Collection, MongoClient } from 'mongodb';
import { MongoServerError } from 'mongodb';
import { MongoConnectionOptions, connectMongo, translateMongoOutages } from '@wharf/adapters/mongo';
import { laneShard } from '@wharf/domain';
import type {
  AttemptOutcome,
  Delivery,
  DeliveryAttempt,
  DeliveryRecord,
  LaneShard,
  NewDelivery,
  PackageMark,
  SubscriptionHealth,
  WebhookDeliveryStore,
} from '@wharf/ports';

export type MongoWebhookDeliveryStoreOptions = MongoConnectionOptions;

interface DeliveryDocument extends NewDelivery {
  _id: string;
  state: Delivery['state'];
  /** Attempts tagged with it are the ones `tries` counts; replaced on resume and redeliver. */
  epoch: string;
  nextAttemptAt: string;
  deliveredAt: string | null;
  laneOrder: number;
  rank: number;
}

interface AttemptDocument extends DeliveryAttempt {
  _id: string;
  delivery: string;
  epoch: string;
  rank: number;
}

interface MarkDocument {
  _id: string;
  sequence: number;
  manifests: number;
}

interface FailingDocument {
  _id: string;
  since: string;
}

const DUPLICATE_KEY = 11000;
const LISTED_ATTEMPTS = 5;
/** What the due scan reads of each pending delivery. */
const SCAN_FIELDS = { _id: 1, subscription: 1, package: 1, laneOrder: 1, nextAttemptAt: 1, rank: 1 } as const;
type ScannedDocument = Pick<DeliveryDocument, keyof typeof SCAN_FIELDS>;

/** CloudEvents one log event may make for one subscription, at most (a release deletion and its package's). */
const PER_EVENT = 16;
const PRUNE_BATCH = 1000;

export class MongoWebhookDeliveryStore implements WebhookDeliveryStore {
  private lastRank = 0;

  private constructor(
    private readonly client: MongoClient,
    private readonly deliveries: Collection<DeliveryDocument>,
    private readonly attempts: Collection<AttemptDocument>,
    private readonly marksOf: Collection<MarkDocument>,
    private readonly failing: Collection<FailingDocument>,
  ) {}

  static async connect(options: MongoWebhookDeliveryStoreOptions): Promise<MongoWebhookDeliveryStore> {
    return connectMongo(
      options,
      async ({ client, db, prefix }) =>
        new MongoWebhookDeliveryStore(
          client,
          db.collection(`${prefix}webhook_deliveries`),
          db.collection(`${prefix}webhook_attempts`),
          db.collection(`${prefix}webhook_package_marks`),
          db.collection(`${prefix}webhook_failing`),
        ),
    );
  }

  async marks(packages: readonly string[]): Promise<Map<string, PackageMark>> {
    const found = await this.marksOf.find({ _id: { $in: [...packages] } }).toArray();
    return new Map(found.map((m) => [m._id, { package: m._id, sequence: m.sequence, manifests: m.manifests }]));
  }

  async enqueue(deliveries: readonly NewDelivery[], marks: readonly PackageMark[]): Promise<void> {
    const within = new Map<string, number>();
    const documents = deliveries.map((d): DeliveryDocument => {
      const key = `${d.subscription} ${d.package} ${d.sequence}`;
      const k = within.get(key) ?? 0;
      within.set(key, k + 1);
      return {
        ...d,
        _id: `${d.subscription}~${d.eventId}`,
        state: 'pending',
        epoch: randomUUID(),
        nextAttemptAt: d.createdAt,
        deliveredAt: null,
        laneOrder: d.sequence * PER_EVENT + k,
        rank: this.nextRank(),
      };
    });
    if (documents.length > 0) {
      try {
        await this.deliveries.insertMany(documents, { ordered: false });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
    }
    for (const m of marks)
      await this.marksOf.replaceOne(
        { _id: m.package },
        { sequence: m.sequence, manifests: m.manifests },
        { upsert: true },
      );
  }

  async due(now: string, limit: number, busy: ReadonlySet<string>, shard?: LaneShard): Promise<Delivery[]> {
    const [pending, failing] = await Promise.all([
      this.deliveries.find({ state: 'pending' }, { projection: SCAN_FIELDS }).toArray() as Promise<ScannedDocument[]>,
      this.failing.find({}).toArray(),
    ]);
    const heads = new Map<string, ScannedDocument>();
    for (const d of pending) {
      const lane = `${d.subscription} ${d.package}`;
      const head = heads.get(lane);
      if (!head || d.laneOrder < head.laneOrder) heads.set(lane, d);
    }
    const failingIds = new Set(failing.map((f) => f._id));
    const chosen = [...heads.values()]
      .filter((d) => d.nextAttemptAt <= now && !failingIds.has(d.subscription) && !busy.has(d._id))
      .filter((d) => !shard || laneShard(d, shard.count) === shard.index)
      .sort((a, b) =>
        a.nextAttemptAt < b.nextAttemptAt ? -1 : a.nextAttemptAt > b.nextAttemptAt ? 1 : a.rank - b.rank,
      )
      .slice(0, limit);
    if (chosen.length === 0) return [];
    const full = new Map(
      (await this.deliveries.find({ _id: { $in: chosen.map((d) => d._id) } }).toArray()).map((d) => [d._id, d]),
    );
    // A head delivered or cancelled between the scan and this read is simply not handed out.
    const handed = chosen
      .map((d) => full.get(d._id))
      .filter((d): d is DeliveryDocument => d !== undefined && d.state === 'pending');
    return Promise.all(handed.map(async (d) => toDelivery(d, await this.triesOf(d))));
  }

  async recordAttempt(id: string, attempt: DeliveryAttempt, outcome: AttemptOutcome): Promise<void> {
    const delivery = await this.deliveries.findOne(
      { _id: id },
      { projection: { _id: 1, subscription: 1, state: 1, epoch: 1 } },
    );
    if (!delivery) return;
    await this.attempts.insertOne({
      _id: randomUUID(),
      delivery: id,
      epoch: delivery.epoch,
      rank: this.nextRank(),
      ...attempt,
    });
    if (outcome.state === 'delivered') {
      if (delivery.state === 'pending')
        await this.deliveries.updateOne({ _id: id }, { $set: { state: 'delivered', deliveredAt: attempt.at } });
    } else if (outcome.state === 'retry') {
      await this.deliveries.updateOne({ _id: id }, { $set: { nextAttemptAt: outcome.nextAttemptAt } });
    } else {
      try {
        await this.failing.insertOne({ _id: delivery.subscription, since: attempt.at });
      } catch (error) {
        if (!onlyDuplicates(error)) throw error;
      }
      if (outcome.drop)
        await this.deliveries.updateMany(
          { subscription: delivery.subscription, state: 'pending' },
          { $set: { state: 'dropped' } },
        );
    }
  }

  async resume(subscription: string, now: string): Promise<void> {
    await this.deliveries.updateMany(
      { subscription, state: 'pending' },
      { $set: { epoch: randomUUID(), nextAttemptAt: now } },
    );
    await this.failing.deleteOne({ _id: subscription });
  }

  async redeliver(subscription: string, id: string, now: string): Promise<Delivery | null> {
    const found = await this.deliveries.findOne({ _id: id });
    if (!found || found.subscription !== subscription) return null;
    const epoch = randomUUID();
    await this.deliveries.updateOne(
      { _id: id },
      { $set: { state: 'pending', epoch, nextAttemptAt: now, deliveredAt: null } },
    );
    await this.failing.deleteOne({ _id: subscription });
    return toDelivery({ ...found, state: 'pending', epoch, nextAttemptAt: now, deliveredAt: null }, 0);
  }

  async cancel(subscription: string): Promise<void> {
    await this.deliveries.updateMany({ subscription, state: 'pending' }, { $set: { state: 'cancelled' } });
    await this.failing.deleteOne({ _id: subscription });
  }

  async health(subscriptions: readonly string[]): Promise<Map<string, SubscriptionHealth>> {
    const result = new Map<string, SubscriptionHealth>();
    for (const subscription of subscriptions) {
      const [failing, pending] = await Promise.all([
        this.failing.findOne({ _id: subscription }),
        this.deliveries.countDocuments({ subscription, state: 'pending' }),
      ]);
      result.set(subscription, { failingSince: failing?.since ?? null, pending });
    }
    return result;
  }

  async pending(): Promise<number> {
    return this.deliveries.countDocuments({ state: 'pending' });
  }

  async list(subscription: string, options: { limit: number; before?: string }): Promise<DeliveryRecord[]> {
    let below = Number.POSITIVE_INFINITY;
    if (options.before !== undefined) {
      const cursor = await this.deliveries.findOne({ _id: options.before });
      if (cursor) below = cursor.rank;
    }
    const found = await this.deliveries
      .find({ subscription, rank: { $lt: below } })
      .sort({ rank: -1 })
      .limit(options.limit)
      .toArray();
    return Promise.all(
      found.map(async (d) => ({
        ...toDelivery(d, await this.triesOf(d)),
        attempts: await this.attemptsOf(d._id, LISTED_ATTEMPTS),
      })),
    );
  }

  async get(subscription: string, id: string): Promise<DeliveryRecord | null> {
    const found = await this.deliveries.findOne({ _id: id });
    if (!found || found.subscription !== subscription) return null;
    return { ...toDelivery(found, await this.triesOf(found)), attempts: await this.attemptsOf(id, 0) };
  }

  async prune(before: string): Promise<number> {
    let pruned = 0;
    for (;;) {
      const old = await this.deliveries
        .find({ state: { $ne: 'pending' }, createdAt: { $lt: before } }, { projection: { _id: 1 } })
        .limit(PRUNE_BATCH)
        .toArray();
      if (old.length === 0) return pruned;
      const ids = old.map((d) => d._id);
      await this.attempts.deleteMany({ delivery: { $in: ids } });
      pruned += (await this.deliveries.deleteMany({ _id: { $in: ids } })).deletedCount;
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  /** Attempts since the delivery was enqueued, resumed or redelivered. */
  private triesOf(d: Pick<DeliveryDocument, '_id' | 'epoch'>): Promise<number> {
    return this.attempts.countDocuments({ delivery: d._id, epoch: d.epoch });
  }

  private async attemptsOf(delivery: string, limit: number): Promise<DeliveryAttempt[]> {
    const found = await this.attempts.find({ delivery }).sort({ rank: -1 }).limit(limit).toArray();
    return found.map(({ at, status, latencyMs, error, response }) => ({ at, status, latencyMs, error, response }));
  }

  /** Increasing within this process: microseconds of the clock, bumped past the last one given. */
  private nextRank(): number {
    this.lastRank = Math.max(this.lastRank + 1, Date.now() * 1000);
    return this.lastRank;
  }
}

function toDelivery(d: DeliveryDocument, tries: number): Delivery {
  return {
    id: d._id,
    subscription: d.subscription,
    namespace: d.namespace,
    package: d.package,
    sequence: d.sequence,
    eventId: d.eventId,
    eventType: d.eventType,
    body: d.body,
    createdAt: d.createdAt,
    state: d.state,
    tries,
    nextAttemptAt: d.nextAttemptAt,
    deliveredAt: d.deliveredAt,
  };
}

/** An insert that failed only on duplicate keys (a batch enqueued again). */
function onlyDuplicates(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  const writeErrors = (error as MongoServerError & { writeErrors?: { code: number }[] }).writeErrors;
  if (Array.isArray(writeErrors) && writeErrors.length > 0) return writeErrors.every((e) => e.code === DUPLICATE_KEY);
  return error.code === DUPLICATE_KEY;
}

translateMongoOutages(MongoWebhookDeliveryStore);
