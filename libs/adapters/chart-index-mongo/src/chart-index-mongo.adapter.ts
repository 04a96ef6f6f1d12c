/**
 * The distributed profile's chart index projection on MongoDB (and FerretDB v1, which the local
 * backends run). Same semantics as chart-index-sqlite: a push writes its own chart versions and
 * a small head, never the package's other versions.
 *
 * Storage, every document IMMUTABLE (inserts are exclusive on `_id`; FerretDB v1 runs an update
 * as a query followed by an unconditional write, so no "newer wins" update or counter is atomic
 * there, and two writers, the package's writer and the metadata projector, possibly in other
 * processes, may apply the same events):
 *
 * - `<prefix>chart_rows`: one document per (package, version, sequence), `_id` =
 *   `<package>@<version>@<sequence>`, the version's record as a JSON string (chart annotations
 *   have keys with `.` and `$`), or null for a delete (a tombstone). The same events give the
 *   same documents, so an insert that finds its `_id` taken is a no-op.
 * - `<prefix>chart_batches`: one small document per applied batch, `_id` = `<package>@<sequence>`,
 *   with the package's visibility and `base`: the sequence of the last whole state recorded
 *   (`sync`), below which the package's rows are void. Inserted AFTER the batch's rows, so every
 *   row a batch names is in place before readers see the batch.
 * - `<prefix>chart_pointers`: per package (`_id` = package) the newest sequence seen, a hint so
 *   `sync` refuses an old state with one lookup by key.
 *
 * A reader takes, per package, the batch with the highest sequence, and per (package, version)
 * the row with the highest sequence among those at or below that batch's sequence and at or above
 * its base: a row above it is a batch not yet committed, one below the base was replaced by a
 * whole state. `applyChanges` continues the package's chain only from the batch its
 * `fromSequence` names (this process's memory of what it recorded, or that batch read by `_id`);
 * a package whose batch is not there is `behind`, and the whole state comes through `sync`.
 *
 * The revision of a namespace is a hash of its packages' (package, newest batch sequence) pairs
 * and of the generation: a batch is only inserted after its rows and on top of the batch before
 * it, so equal pairs mean the same versions, with no counter to race on. `revision` reads batches
 * (small documents) only: FerretDB v1 uses no secondary index, so it scans a collection.
 *
 * Superseded documents are garbage: `applyChanges` deletes the batch it continued, `read`
 * deletes the batches and rows it meets that a committed one supersedes. A tombstone is kept
 * while it is the newest row of its version (an older row of that version inserted again by a
 * late redelivery must stay superseded).
 *
 * Generations, for rebuilds (ProjectionRebuild): `MongoGenerations` (libs/adapters/mongo), the
 * projection `charts`, exactly as metadata-mongo. The revision hashes the generation too: a
 * rebuild may record different versions under the same (package, sequence), and a revision seen
 * before the switch must not name the new content.
 *
 * Migration: the layout before rows (`chart_packages`, `chart_marks`, `chart_heads`: a document
 * per package state) is recorded as whole states when a writer connects (`connect`, not
 * `connectReader`), and its collections dropped.
 */
import { createHash } from 'node:crypto';
import { HighestByKey } from '@wharf/collections';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type { Collection, Db, MongoClient } from 'mongodb';
import type { ChartVersionRecord, PackageChartChanges, PackageChartVersions, Visibility } from '@wharf/domain';
import { MongoConnectionOptions, MongoGenerations, connectMongo } from '@wharf/adapters/mongo';
import type {
  ChartChangesOutcome,
  ChartIndexReader,
  ChartIndexStore,
  NamespaceCharts,
  ProjectionRebuild,
} from '@wharf/ports';
import { translateMongoOutages } from '@wharf/adapters/mongo';

export interface MongoChartIndexStoreOptions extends MongoConnectionOptions {
  /** How long the live generation read from the pointer document is trusted. Default 1000 ms. */
  generationCacheMs?: number;
}

export const CHART_ROWS_COLLECTION = 'chart_rows';
export const CHART_BATCHES_COLLECTION = 'chart_batches';
const COLLECTIONS = [CHART_ROWS_COLLECTION, CHART_BATCHES_COLLECTION, 'chart_pointers'] as const;
/** The layout before rows (a document per package state), of any generation: dropped once migrated (`migrate`). */
const LEGACY_COLLECTIONS = /^(chart_packages|chart_marks|chart_heads)(_g[0-9]+)?$/;

export interface ChartRowDocument {
  /** `<package>@<version>@<sequence>`. */
  _id: string;
  package: string;
  namespace: string;
  version: string;
  sequence: number;
  /** JSON of the ChartVersionRecord; null: the version was deleted at `sequence`. */
  record: string | null;
}

export interface ChartBatchDocument {
  /** `<package>@<sequence>`. */
  _id: string;
  package: string;
  namespace: string;
  sequence: number;
  /** The package's rows below this sequence are void (a whole state was recorded there). */
  base: number;
  visibility: Visibility;
}

/** The layout before rows: a package's chart versions as of a sequence, `_id` = `<package>@<sequence>`. */
interface LegacyPackageDocument {
  _id: string;
  package: string;
  namespace: string;
  sequence: number;
  visibility: Visibility;
  /** JSON of ChartVersionRecord[]. */
  versions: string;
}

interface ChartPointerDocument {
  _id: string;
  sequence: number;
}

const DUPLICATE_KEY = 11000;
const batchId = (pkg: string, sequence: number) => `${pkg}@${sequence}`;
const rowId = (pkg: string, version: string, sequence: number) => `${pkg}@${version}@${sequence}`;

interface GenerationCollections {
  generation: number;
  rows: Collection<ChartRowDocument>;
  batches: Collection<ChartBatchDocument>;
  pointers: Collection<ChartPointerDocument>;
}

/** What this process recorded last for a package: the batch's sequence and base. */
interface Recorded {
  sequence: number;
  base: number;
}

/** How many packages' recorded sequences a store remembers. */
const RECORDED_KEPT = 100_000;

export class MongoChartIndexStore implements ChartIndexStore {
  private readonly generations: MongoGenerations<(typeof COLLECTIONS)[number]>;
  private live: GenerationCollections | null = null;
  /** Per generation and package, the newest sequence this process recorded (a bounded number of packages). */
  private readonly recorded = new HighestByKey<Recorded>(RECORDED_KEPT);
  private closed = false;

  /** `fixedGeneration`: a rebuild's store, which writes that generation whatever the pointer says. */
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly prefix: string,
    private readonly generationCacheMs: number,
    private readonly fixedGeneration: number | null = null,
    private readonly ownsClient = true,
  ) {
    this.generations = new MongoGenerations(db, prefix, 'charts', COLLECTIONS, generationCacheMs);
  }

  /** Connects, creates the namespace indexes (idempotently) and returns the store, which owns the client. */
  static async connect(options: MongoChartIndexStoreOptions): Promise<MongoChartIndexStore> {
    return connectMongo(options, async ({ client, db, prefix }) => {
      const store = new MongoChartIndexStore(client, db, prefix, options.generationCacheMs ?? 1000);
      await store.init();
      await store.migrate();
      return store;
    });
  }

  /**
   * Connects for reading only (the gateway's ChartIndexReader in the distributed profile): no
   * index is created, that is the writer's business (connect).
   */
  static async connectReader(
    options: MongoChartIndexStoreOptions,
  ): Promise<ChartIndexReader & { close(): Promise<void> }> {
    return connectMongo(
      options,
      async ({ client, db, prefix }) => new MongoChartIndexStore(client, db, prefix, options.generationCacheMs ?? 1000),
    );
  }

  /**
   * A store over the next generation's collections, emptied of what an unfinished rebuild left;
   * the switch moves the pointer to it (MongoGenerations.rebuild).
   */
  async rebuild(): Promise<ProjectionRebuild<ChartIndexStore>> {
    return this.generations.rebuild(async (next) => {
      const fresh = new MongoChartIndexStore(this.client, this.db, this.prefix, this.generationCacheMs, next, false);
      await fresh.init();
      return fresh;
    });
  }

  /**
   * Records, as whole states (`sync`), what the layout before rows left in the live generation
   * (per package, its newest `chart_packages` document), then drops that layout's collections
   * (of every generation).
   * Idempotent, and harmless beside a writer of the new layout: a state older than the one a
   * package has is not read, and `sync` refuses one the hint knows is old.
   */
  private async migrate(): Promise<void> {
    const { generation } = await this.collections();
    const legacy = this.db.collection<LegacyPackageDocument>(
      `${this.prefix}chart_packages${generation === 0 ? '' : `_g${generation}`}`,
    );
    const { newest } = newestPerPackage(await legacy.find({}).toArray());
    for (const doc of newest)
      await this.sync({
        package: doc.package,
        namespace: doc.namespace,
        sequence: doc.sequence,
        visibility: doc.visibility,
        versions: JSON.parse(doc.versions) as ChartVersionRecord[],
      });
    await this.dropLegacyCollections();
  }

  /** Drops what the layout before rows left, in every generation (nothing reads it). */
  private async dropLegacyCollections(): Promise<void> {
    for (const { name } of await this.db.listCollections({}, { nameOnly: true }).toArray()) {
      if (name.startsWith(this.prefix) && LEGACY_COLLECTIONS.test(name.slice(this.prefix.length)))
        await this.db.dropCollection(name);
    }
  }

  /** Creates the namespace indexes of the current generation's collections, idempotently. */
  private async init(): Promise<void> {
    const { rows, batches } = await this.collections();
    await rows.createIndex({ namespace: 1 }, { name: 'by_namespace' });
    await batches.createIndex({ namespace: 1 }, { name: 'by_namespace' });
  }

  /** The live generation's collections (the pointer re-read when older than generationCacheMs). */
  private async collections(): Promise<GenerationCollections> {
    const generation = this.fixedGeneration ?? (await this.generations.live());
    if (this.live?.generation === generation) return this.live;
    const names = this.generations.names(generation);
    this.live = {
      generation,
      rows: this.db.collection<ChartRowDocument>(names[CHART_ROWS_COLLECTION]),
      batches: this.db.collection<ChartBatchDocument>(names[CHART_BATCHES_COLLECTION]),
      pointers: this.db.collection<ChartPointerDocument>(names.chart_pointers),
    };
    return this.live;
  }

  async sync(charts: PackageChartVersions): Promise<boolean> {
    assertSequence(charts.sequence);
    const collections = await this.collections();
    const { generation, pointers } = collections;
    // What this process last recorded for the package saves reading the pointer: a recorded
    // sequence stays recorded, and a newer one recorded elsewhere only leaves a superseded batch.
    const key = `${generation}\0${charts.package}`;
    const seen = this.recorded.get(key) ?? (await pointers.findOne({ _id: charts.package }));
    if (seen && seen.sequence >= charts.sequence) return false;
    const rows = charts.versions.map((version) => this.row(charts, version.version, charts.sequence, version));
    return this.commit(collections, charts, rows, charts.sequence);
  }

  async applyChanges(changes: PackageChartChanges): Promise<ChartChangesOutcome> {
    assertSequence(changes.sequence);
    const collections = await this.collections();
    const { generation, batches } = collections;
    const key = `${generation}\0${changes.package}`;
    const mine = this.recorded.get(key);
    if (mine && mine.sequence >= changes.sequence) return 'stale';
    let base = 0;
    if (mine?.sequence === changes.fromSequence) base = mine.base;
    else if (changes.fromSequence > 0) {
      // By `_id`, the one filter FerretDB v1 does not answer with a scan.
      const from = await batches.findOne({ _id: batchId(changes.package, changes.fromSequence) });
      if (!from) return 'behind';
      base = from.base;
    }
    const rows = [
      ...changes.deleted.map((version) => this.row(changes, version, changes.sequence, null)),
      ...changes.published.map((version) => this.row(changes, version.version, changes.sequence, version)),
    ];
    if (!(await this.commit(collections, changes, rows, base))) return 'stale';
    if (changes.fromSequence > 0)
      await batches.deleteOne({ _id: batchId(changes.package, changes.fromSequence) }).catch(() => undefined);
    return 'applied';
  }

  private row(
    pkg: Pick<PackageChartVersions, 'package' | 'namespace'>,
    version: string,
    sequence: number,
    record: ChartVersionRecord | null,
  ): ChartRowDocument {
    return {
      _id: rowId(pkg.package, version, sequence),
      package: pkg.package,
      namespace: pkg.namespace,
      version,
      sequence,
      record: record && JSON.stringify(record),
    };
  }

  /** Inserts the rows, then the batch that commits them; false when that batch was already there. */
  private async commit(
    { generation, rows, batches, pointers }: GenerationCollections,
    state: Pick<PackageChartVersions, 'package' | 'namespace' | 'sequence' | 'visibility'>,
    documents: ChartRowDocument[],
    base: number,
  ): Promise<boolean> {
    // Rows first (a writer that died after them left them here: inserting them again is a no-op), then the batch.
    if (documents.length > 0) await ignoreDuplicates(rows.insertMany(documents, { ordered: false }));
    const committed = await ignoreDuplicates(
      batches.insertOne({
        _id: batchId(state.package, state.sequence),
        package: state.package,
        namespace: state.namespace,
        sequence: state.sequence,
        base,
        visibility: state.visibility,
      }),
    );
    if (!committed) return false;
    this.recorded.offer(`${generation}\0${state.package}`, { sequence: state.sequence, base });
    // Recorded. The hint only makes `sync` cheap; losing it costs a superseded batch, never a wrong read.
    await this.advancePointer(pointers, state.package, state.sequence).catch(() => undefined);
    return true;
  }

  async revision(namespace: string): Promise<string> {
    const { generation, batches } = await this.collections();
    return revisionOf(generation, newestPerPackage(await batches.find({ namespace }).toArray()).newest);
  }

  async read(namespace: string): Promise<NamespaceCharts> {
    const collections = await this.collections();
    for (let attempt = 1; ; attempt++) {
      const batches = newestPerPackage(await collections.batches.find({ namespace }).toArray());
      const rows = await collections.rows.find({ namespace }).toArray();
      const revision = revisionOf(collections.generation, batches.newest);
      // A whole state recorded meanwhile may have let another reader delete rows below its base: read again.
      const after = await this.revision(namespace);
      if (after !== revision && attempt < 3) continue;
      const { current, superseded } = currentRows(rows, new Map(batches.newest.map((b) => [b.package, b])));
      if (superseded.length > 0 || batches.superseded.length > 0)
        await this.deleteSuperseded(collections, batches.superseded, superseded).catch(() => undefined);
      const visibility = new Map(batches.newest.map((b) => [b.package, b.visibility]));
      const versions = current.flatMap((row) =>
        row.record === null
          ? []
          : [{ ...(JSON.parse(row.record) as ChartVersionRecord), visibility: visibility.get(row.package)! }],
      );
      return { namespace, revision, versions };
    }
  }

  private async deleteSuperseded(
    { batches, rows }: GenerationCollections,
    batchIds: string[],
    rowIds: string[],
  ): Promise<void> {
    if (batchIds.length > 0) await batches.deleteMany({ _id: { $in: batchIds } });
    if (rowIds.length > 0) await rows.deleteMany({ _id: { $in: rowIds } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  /**
   * Moves the hint forward. Filtered by `_id` alone (FerretDB v1 scans the collection for any other
   * filter); `$max` is not atomic there, so a race can leave the hint behind, which costs a
   * superseded batch left for `read` to delete, never a wrong answer.
   */
  private async advancePointer(
    pointers: Collection<ChartPointerDocument>,
    pkg: string,
    sequence: number,
  ): Promise<void> {
    await pointers.updateOne({ _id: pkg }, { $max: { sequence } }, { upsert: true });
  }
}

function assertSequence(sequence: number): void {
  if (!Number.isSafeInteger(sequence) || sequence < 1)
    throw new RangeError(`sequence must be a positive integer, got ${sequence}`);
}

/**
 * Per (package, version), the row a reader answers with: the highest sequence at or below its
 * package's newest batch and at or above that batch's base. `superseded`: the rows no reader
 * will answer with again (below the base, or older than a committed row of the same version).
 */
function currentRows(
  rows: ChartRowDocument[],
  newest: Map<string, Pick<ChartBatchDocument, 'sequence' | 'base'>>,
): { current: ChartRowDocument[]; superseded: string[] } {
  const best = new Map<string, ChartRowDocument>();
  const superseded: string[] = [];
  for (const row of rows) {
    const batch = newest.get(row.package);
    if (!batch || row.sequence > batch.sequence) continue; // not committed (yet)
    if (row.sequence < batch.base) {
      superseded.push(row._id);
      continue;
    }
    const key = `${row.package}@${row.version}`;
    const other = best.get(key);
    if (!other || other.sequence < row.sequence) {
      if (other) superseded.push(other._id);
      best.set(key, row);
    } else superseded.push(row._id);
  }
  return { current: [...best.values()], superseded };
}

/** Resolves true when every insert happened, false when some document was already there (the others are inserted). */
async function ignoreDuplicates(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (error) {
    if (error instanceof MongoBulkWriteError) {
      const errors = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
      if (errors.length > 0 && errors.every((e) => e.code === DUPLICATE_KEY)) return false;
      throw error;
    }
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
    throw error;
  }
}

function newestPerPackage<D extends Pick<ChartBatchDocument, '_id' | 'package' | 'sequence'>>(
  docs: D[],
): { newest: D[]; superseded: string[] } {
  const newest = new Map<string, D>();
  const superseded: string[] = [];
  for (const doc of docs) {
    const other = newest.get(doc.package);
    if (!other || other.sequence < doc.sequence) {
      if (other) superseded.push(other._id);
      newest.set(doc.package, doc);
    } else {
      superseded.push(doc._id);
    }
  }
  return { newest: [...newest.values()], superseded };
}

function revisionOf(generation: number, newest: Pick<ChartBatchDocument, 'package' | 'sequence'>[]): string {
  const pairs = newest.map((doc) => `${doc.package}@${doc.sequence}`).sort();
  return createHash('sha256').update(`generation ${generation}\n`).update(pairs.join('\n')).digest('hex').slice(0, 32);
}

// MongoDB's connection errors leave every method as the ports' DependencyUnavailableError (mongo-outage.ts in libs/adapters/mongo).
translateMongoOutages(MongoChartIndexStore);
