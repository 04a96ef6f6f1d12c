/**
 * The distributed profile's chart index projection on MongoDB (and FerretDB v1, which the local
 * backends run). Same semantics as chart-index-sqlite.
 *
 * Storage: one IMMUTABLE document per (package, sequence) with the package's chart versions as a
 * JSON string (chart annotations have keys with `.` and `$`), `_id` = `<package>@<sequence>`.
 * Readers take, per package, the document with the highest sequence. Why not one mutable
 * document per package and a revision counter per namespace: FerretDB v1 runs an update as a
 * query followed by an unconditional write, so neither a "newer sequence wins" update nor an
 * `$inc` is atomic there; two writers (the package's writer and the metadata projector, possibly
 * in different processes) could leave an older state on top of a newer one, or two namespaces'
 * changes under one revision number. Inserts are exclusive on `_id`, and "highest sequence
 * wins" needs no coordination at all: a late insert of an older state is simply never read.
 *
 * The revision of a namespace is a hash of its packages' (package, highest sequence) pairs:
 * equal revisions mean the same documents, hence the same versions, with no counter to race on.
 * Those pairs come from `<prefix>chart_marks`, one small document per content document, inserted
 * AFTER it: FerretDB v1 uses no secondary index, so `revision` scans a collection, and scanning
 * marks costs a fraction of scanning the versions (measured: ~200 ms → a few ms at 5,000
 * versions). A reader reads marks first and content second, so the content it returns is never
 * older than the revision it reports (a content document is in place before its mark); a package
 * whose mark is ahead of the content the scan saw is read again.
 *
 * Superseded documents are garbage: `sync` deletes the pair its hint names, `read` deletes any it
 * meets. Deleting only ever removes documents older than ones that are present, so it cannot
 * change what readers see. A `<prefix>chart_heads` document per package (`_id` = package)
 * remembers the newest sequence seen, so `sync` refuses an old state with one lookup by key.
 *
 * Generations, for rebuilds (ProjectionRebuild): `MongoGenerations` (libs/adapters/mongo), the
 * projection `charts` over the three collections, exactly as metadata-mongo. The revision hashes
 * the generation too: a rebuild may record different versions under the same (package, sequence)
 * (the reason to rebuild is often a change of how chart versions are derived), and a revision
 * seen before the switch must not name the new content.
 */
import { createHash } from 'node:crypto';
import { HighestByKey } from '@wharf/collections';
import { MongoServerError } from 'mongodb';
import type { Collection, Db, MongoClient } from 'mongodb';
import type { ChartVersionRecord, PackageChartVersions, Visibility } from '@wharf/domain';
import { MongoConnectionOptions, MongoGenerations, connectMongo } from '@wharf/adapters/mongo';
import type { ChartIndexReader, ChartIndexStore, NamespaceCharts, ProjectionRebuild } from '@wharf/ports';
import { translateMongoOutages } from '@wharf/adapters/mongo';

export interface MongoChartIndexStoreOptions extends MongoConnectionOptions {
  /** How long the live generation read from the pointer document is trusted. Default 1000 ms. */
  generationCacheMs?: number;
}

export const CHART_PACKAGES_COLLECTION = 'chart_packages';
const COLLECTIONS = [CHART_PACKAGES_COLLECTION, 'chart_marks', 'chart_heads'] as const;

export interface ChartPackageDocument {
  /** `<package>@<sequence>`. */
  _id: string;
  package: string;
  namespace: string;
  sequence: number;
  visibility: Visibility;
  /** JSON of ChartVersionRecord[]. */
  versions: string;
}

/** That a content document is complete and readable; the revision is computed from these. */
interface ChartMarkDocument {
  _id: string;
  package: string;
  namespace: string;
  sequence: number;
}

interface ChartHeadDocument {
  _id: string;
  sequence: number;
}

const DUPLICATE_KEY = 11000;
const docId = (pkg: string, sequence: number) => `${pkg}@${sequence}`;

interface GenerationCollections {
  generation: number;
  packages: Collection<ChartPackageDocument>;
  marks: Collection<ChartMarkDocument>;
  heads: Collection<ChartHeadDocument>;
}

/** How many packages' recorded sequences a store remembers. */
const RECORDED_KEPT = 100_000;

export class MongoChartIndexStore implements ChartIndexStore {
  private readonly generations: MongoGenerations<(typeof COLLECTIONS)[number]>;
  private live: GenerationCollections | null = null;
  /** Per generation and package, the newest sequence this process recorded (a bounded number of packages). */
  private readonly recorded = new HighestByKey(RECORDED_KEPT);
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

  /** Creates the namespace indexes of the current generation's collections, idempotently. */
  private async init(): Promise<void> {
    const { packages, marks } = await this.collections();
    await packages.createIndex({ namespace: 1 }, { name: 'by_namespace' });
    await marks.createIndex({ namespace: 1 }, { name: 'by_namespace' });
  }

  /** The live generation's collections (the pointer re-read when older than generationCacheMs). */
  private async collections(): Promise<GenerationCollections> {
    const generation = this.fixedGeneration ?? (await this.generations.live());
    if (this.live?.generation === generation) return this.live;
    const names = this.generations.names(generation);
    this.live = {
      generation,
      packages: this.db.collection<ChartPackageDocument>(names[CHART_PACKAGES_COLLECTION]),
      marks: this.db.collection<ChartMarkDocument>(names.chart_marks),
      heads: this.db.collection<ChartHeadDocument>(names.chart_heads),
    };
    return this.live;
  }

  async sync(charts: PackageChartVersions): Promise<boolean> {
    if (!Number.isSafeInteger(charts.sequence) || charts.sequence < 1)
      throw new RangeError(`sequence must be a positive integer, got ${charts.sequence}`);
    const { generation, packages, marks, heads } = await this.collections();
    // What this process last recorded for the package saves reading its head: a recorded
    // sequence stays recorded, and a newer one recorded elsewhere only leaves a superseded pair.
    const key = `${generation}\0${charts.package}`;
    const head = this.recorded.get(key) ?? (await heads.findOne({ _id: charts.package }));
    if (head && head.sequence >= charts.sequence) return false;
    const id = docId(charts.package, charts.sequence);
    // Content first (a writer that died after it left it here: inserting it again is a no-op), then the mark.
    await ignoreDuplicate(
      packages.insertOne({
        _id: id,
        package: charts.package,
        namespace: charts.namespace,
        sequence: charts.sequence,
        visibility: charts.visibility,
        versions: JSON.stringify(charts.versions),
      }),
    );
    if (
      !(await ignoreDuplicate(
        marks.insertOne({ _id: id, package: charts.package, namespace: charts.namespace, sequence: charts.sequence }),
      ))
    )
      return false;
    this.recorded.offer(key, { sequence: charts.sequence });
    // Recorded. The rest only keeps the collections small and `sync` cheap; losing it costs garbage, never a wrong read.
    await this.advanceHead(heads, charts.package, charts.sequence).catch(() => undefined);
    if (head) {
      // By `_id` equality, the one filter FerretDB v1 does not answer with a scan.
      const old = docId(charts.package, head.sequence);
      await marks.deleteOne({ _id: old }).catch(() => undefined);
      await packages.deleteOne({ _id: old }).catch(() => undefined);
    }
    return true;
  }

  async revision(namespace: string): Promise<string> {
    const { generation, marks } = await this.collections();
    return revisionOf(generation, newestPerPackage(await marks.find({ namespace }).toArray()).newest);
  }

  async read(namespace: string): Promise<NamespaceCharts> {
    const collections = await this.collections();
    for (let attempt = 1; ; attempt++) {
      const marks = newestPerPackage(await collections.marks.find({ namespace }).toArray());
      const content = newestPerPackage(await collections.packages.find({ namespace }).toArray());
      const byPackage = new Map(content.newest.map((doc) => [doc.package, doc]));
      const missed = marks.newest.some((mark) => (byPackage.get(mark.package)?.sequence ?? 0) < mark.sequence);
      if (missed && attempt < 3) continue;
      const superseded = [...new Set([...marks.superseded, ...content.superseded])];
      if (superseded.length > 0) await this.deleteSuperseded(collections, superseded).catch(() => undefined);
      const versions = content.newest.flatMap((doc) =>
        (JSON.parse(doc.versions) as ChartVersionRecord[]).map((v) => ({ ...v, visibility: doc.visibility })),
      );
      return { namespace, revision: revisionOf(collections.generation, marks.newest), versions };
    }
  }

  private async deleteSuperseded({ marks, packages }: GenerationCollections, ids: string[]): Promise<void> {
    await marks.deleteMany({ _id: { $in: ids } });
    await packages.deleteMany({ _id: { $in: ids } });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  /**
   * Moves the hint forward. Filtered by `_id` alone (FerretDB v1 scans the collection for any other
   * filter); `$max` is not atomic there, so a race can leave the hint behind, which costs a
   * superseded pair left for `read` to delete, never a wrong answer.
   */
  private async advanceHead(heads: Collection<ChartHeadDocument>, pkg: string, sequence: number): Promise<void> {
    await heads.updateOne({ _id: pkg }, { $max: { sequence } }, { upsert: true });
  }
}

/** Resolves true when the insert happened, false when the document was already there. */
async function ignoreDuplicate(insert: Promise<unknown>): Promise<boolean> {
  try {
    await insert;
    return true;
  } catch (error) {
    if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
    throw error;
  }
}

function newestPerPackage<D extends Pick<ChartPackageDocument, '_id' | 'package' | 'sequence'>>(
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

function revisionOf(generation: number, newest: Pick<ChartPackageDocument, 'package' | 'sequence'>[]): string {
  const pairs = newest.map((doc) => `${doc.package}@${doc.sequence}`).sort();
  return createHash('sha256').update(`generation ${generation}\n`).update(pairs.join('\n')).digest('hex').slice(0, 32);
}

// MongoDB's connection errors leave every method as the ports' DependencyUnavailableError (mongo-outage.ts in libs/adapters/mongo).
translateMongoOutages(MongoChartIndexStore);
