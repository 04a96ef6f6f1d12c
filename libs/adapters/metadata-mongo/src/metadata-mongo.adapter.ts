/**
 * The distributed profile's metadata projection on MongoDB (and on FerretDB v1, which the local
 * backends run). Same semantics as the embedded adapter (metadata-sqlite).
 *
 * Storage: one document per stored VERSION of a package, not one per package. Each document
 * holds the view and its summary as JSON strings (user metadata and chart annotations have keys
 * with `.` and `$`, which FerretDB refuses and MongoDB handles badly), next to the scalar fields
 * that get and list filter on.
 *
 * Why versions: the compare-and-set must be atomic on FerretDB v1 as well, and there it cannot be
 * an `updateOne({package, sequence: expected})`: FerretDB v1 runs an update as a query followed
 * by an unconditional write of the whole document, so two concurrent updates with the same
 * expected sequence both match and both "win" (measured here: 26 of 30 races had several
 * winners; findOneAndUpdate: 15 of 30). The only atomic conditional write both servers offer
 * without transactions is an insert into a unique index. So `put(view, expected)` inserts a new
 * version document with `previousSequence: expected`; the unique index on
 * `(package, previousSequence)` lets exactly one writer succeed from a given stored sequence.
 * The versions of a package form a chain 0 → s1 → s2 → … with strictly increasing sequences, and
 * the stored view is always the version with the highest sequence (what `get` reads).
 *
 * After a successful insert, the versions it supersedes are retired (`current: false`, view and
 * summary removed); list and count read current versions only. Retiring is monotonic (a flag
 * only ever goes from true to false, and never on the newest version), so FerretDB's
 * whole-document writes cannot undo it. Between the insert and the retire (or forever, if the
 * writer dies in between) a superseded version is still marked current: `list` notices it on its
 * page, retires it and reads again; `count` may count it until then; the next successful `put` of that
 * package retires it too. Retired versions stay as small documents (no view): deleting them could
 * let a stale writer that checked "sequence `expected` exists" before the delete succeed after it.
 *
 * Reads by key only: FerretDB v1 uses no secondary index for queries (every filter but `_id`
 * equality scans the collection, ~190 ms at a thousand versions), so a version's `_id` is its
 * chain link, `<package>@<previousSequence>`, and a `<prefix>package_heads` document per package
 * (`_id` = package) remembers the newest version seen. `get` starts at that hint and follows the
 * links (`<package>@<sequence>`) until there is no successor: a stale hint, left by a writer that
 * died or lost a non-atomic update, costs one more lookup per missed version, never a wrong
 * answer. The `_id` is also what makes the insert exclusive, on the primary key.
 *
 * Generations, for rebuilds (ProjectionRebuild): `MongoGenerations` (libs/adapters/mongo), the
 * projection `metadata` over `<prefix>package_versions` and `<prefix>package_heads`; generation
 * 0 is the unsuffixed pair, a rebuild fills `_g<n>` and the switch is one write of the pointer.
 */
import { MongoClient, MongoClientOptions, MongoServerError } from 'mongodb';
import type { Collection, Db, Filter } from 'mongodb';
import { GENERATIONS_COLLECTION, MongoGenerations, generationNames, literalPattern } from '@wharf/adapters/mongo';
import { PackageSummary, PackageView, Visibility, mediaTypesOf, packageExists, summarizePackage } from '@wharf/domain';
import type { MetadataStore, PackageListFilter, ProjectionRebuild } from '@wharf/ports';

export interface MongoMetadataStoreOptions {
  /** A MongoDB connection string (MongoDB or FerretDB). */
  url: string;
  database: string;
  /** Prepended to the collection name, so several stores can share a database. Letters, digits, `_`, `-`. */
  collectionPrefix?: string;
  /** Extra MongoClient options (timeouts, pool size, TLS). */
  clientOptions?: MongoClientOptions;
  /** How long the live generation read from the pointer document is trusted. Default 1000 ms. */
  generationCacheMs?: number;
}

/** The collection, without the prefix. */
export const METADATA_COLLECTION = 'package_versions';

/** A stored version of a package: its view, as stored by one successful put. */
export interface PackageVersionDocument {
  /** `<package>@<previousSequence>`: the link from the version it replaced. */
  _id?: string;
  package: string;
  /** The sequence this version replaced (the put's expectedSequence); 0 for the first. */
  previousSequence: number;
  sequence: number;
  /** False once a newer version of the package is stored. */
  current: boolean;
  /** The package has at least one release (it is listed and counted). */
  active: boolean;
  namespace: string;
  visibility: Visibility;
  mediaTypes: string[];
  /** JSON of the PackageView; removed when the version is retired. */
  view?: string;
  /** JSON of the PackageSummary; removed when the version is retired. */
  summary?: string;
}

interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: true;
}

/** The indexes `init` creates; the two unique ones are what makes `put` a compare-and-set. */
export const METADATA_INDEXES: readonly IndexSpec[] = [
  { name: 'package_previous_sequence_unique', key: { package: 1, previousSequence: 1 }, unique: true },
  { name: 'package_sequence_unique', key: { package: 1, sequence: -1 }, unique: true },
  { name: 'listing', key: { current: 1, active: 1, package: 1 } },
  { name: 'listing_by_namespace', key: { current: 1, active: 1, namespace: 1, package: 1 } },
  { name: 'listing_by_media_type', key: { mediaTypes: 1, package: 1 } },
];

/** Where `get` starts following a package's chain: the newest version seen. */
interface PackageHeadDocument {
  _id: string;
  sequence: number;
  /** `_id` of the version document with that sequence. */
  version: string;
}

const linkId = (pkg: string, previousSequence: number) => `${pkg}@${previousSequence}`;

export { GENERATIONS_COLLECTION, literalPattern };
const HEADS_COLLECTION = 'package_heads';
const COLLECTIONS = [METADATA_COLLECTION, HEADS_COLLECTION] as const;

interface GenerationCollections {
  generation: number;
  versions: Collection<PackageVersionDocument>;
  heads: Collection<PackageHeadDocument>;
}

/** The collection names of a generation (0: unsuffixed). */
export function generationCollectionNames(prefix: string, generation: number): { versions: string; heads: string } {
  const names = generationNames(prefix, COLLECTIONS, generation);
  return { versions: names[METADATA_COLLECTION], heads: names[HEADS_COLLECTION] };
}

const DUPLICATE_KEY = 11000;
const PREFIX = /^[A-Za-z0-9_-]*$/;
/** A list whose page held a superseded version is read again at most this many times. */
const LIST_ATTEMPTS = 3;

export class MongoMetadataStore implements MetadataStore {
  private readonly generations: MongoGenerations<(typeof COLLECTIONS)[number]>;
  private live: GenerationCollections | null = null;
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
    this.generations = new MongoGenerations(db, prefix, 'metadata', COLLECTIONS, generationCacheMs);
  }

  /** The live generation's collections (the pointer re-read when older than generationCacheMs). */
  private async collections(): Promise<GenerationCollections> {
    const generation = this.fixedGeneration ?? (await this.generations.live());
    if (this.live?.generation === generation) return this.live;
    const names = generationCollectionNames(this.prefix, generation);
    this.live = {
      generation,
      versions: this.db.collection<PackageVersionDocument>(names.versions),
      heads: this.db.collection<PackageHeadDocument>(names.heads),
    };
    return this.live;
  }

  /**
   * A store over the next generation's collections, emptied of what an unfinished rebuild left;
   * the switch moves the pointer to it (MongoGenerations.rebuild).
   */
  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    return this.generations.rebuild(async (next) => {
      const fresh = new MongoMetadataStore(this.client, this.db, this.prefix, this.generationCacheMs, next, false);
      await fresh.init();
      return fresh;
    });
  }

  /** Connects, creates the collection's indexes (idempotently) and returns the store, which owns the client. */
  static async connect(options: MongoMetadataStoreOptions): Promise<MongoMetadataStore> {
    const prefix = options.collectionPrefix ?? '';
    if (!PREFIX.test(prefix)) throw new Error(`invalid collectionPrefix ${JSON.stringify(prefix)}: letters, digits, _ and - only`);
    if (!options.database) throw new Error('a database name is required');
    const client = new MongoClient(options.url, options.clientOptions);
    try {
      await client.connect();
      const store = new MongoMetadataStore(client, client.db(options.database), prefix, options.generationCacheMs ?? 1000);
      await store.init();
      return store;
    } catch (error) {
      await client.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Creates the collection's indexes, or checks they exist as specified; safe to run again and
   * from several processes. One index per command: FerretDB v1.24 panics (and drops the
   * connection) on a createIndexes naming two or more indexes that already exist, and accepts an
   * existing index of the same name and key whatever its options, hence the check afterwards.
   */
  async init(): Promise<void> {
    const { versions } = await this.collections();
    for (const spec of METADATA_INDEXES) {
      await versions.createIndex(spec.key, { name: spec.name, ...(spec.unique ? { unique: true } : {}) });
    }
    const existing = await versions.indexes();
    for (const spec of METADATA_INDEXES) {
      const found = existing.find((index) => index.name === spec.name);
      if (!found || JSON.stringify(found.key) !== JSON.stringify(spec.key) || Boolean(found.unique) !== Boolean(spec.unique)) {
        throw new Error(
          `index ${spec.name} of ${versions.collectionName} is ${JSON.stringify(found ?? null)}, ` +
            `expected ${JSON.stringify({ key: spec.key, unique: Boolean(spec.unique) })}; drop it to let init recreate it`,
        );
      }
    }
  }

  async get(pkg: string): Promise<PackageView | null> {
    const newest = await this.newestVersion(pkg);
    if (!newest) return null;
    if (typeof newest.view !== 'string') throw new Error(`the newest version of ${pkg} (sequence ${newest.sequence}) has no view`);
    return JSON.parse(newest.view) as PackageView;
  }

  /** Follows the package's chain from its head hint to the version with no successor. */
  private async newestVersion(pkg: string): Promise<PackageVersionDocument | null> {
    const { versions, heads } = await this.collections();
    const head = await heads.findOne({ _id: pkg });
    let current: PackageVersionDocument | null = await versions.findOne({ _id: head ? head.version : linkId(pkg, 0) });
    if (!current) return null;
    for (;;) {
      const next: PackageVersionDocument | null = await versions.findOne({ _id: linkId(pkg, current.sequence) });
      if (!next) return current;
      current = next;
    }
  }

  async put(view: PackageView, expectedSequence: number): Promise<boolean> {
    if (!Number.isSafeInteger(expectedSequence) || expectedSequence < 0) {
      throw new RangeError(`expectedSequence must be a non-negative integer, got ${expectedSequence}`);
    }
    const replaced = expectedSequence === 0 ? null : await this.newestVersion(view.package);
    if ((replaced?.sequence ?? 0) !== expectedSequence) return false;
    if (!Number.isSafeInteger(view.sequence) || view.sequence <= expectedSequence) {
      throw new RangeError(`the view of ${view.package} has sequence ${view.sequence}, not above expectedSequence ${expectedSequence}`);
    }
    const id = linkId(view.package, expectedSequence);
    const { versions, heads } = await this.collections();
    const doc: PackageVersionDocument = {
      _id: id,
      package: view.package,
      previousSequence: expectedSequence,
      sequence: view.sequence,
      current: true,
      active: packageExists(view),
      namespace: view.namespace,
      visibility: view.visibility,
      mediaTypes: mediaTypesOf(view),
      view: JSON.stringify(view),
      summary: JSON.stringify(summarizePackage(view)),
    };
    try {
      // Exclusive on the primary key: only one writer links a successor to `expectedSequence`.
      await versions.insertOne(doc);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
    // Stored. What follows only speeds up reads; if it fails, the next reader walks further and
    // the next list or put retires what this one did not.
    await heads.updateOne({ _id: view.package }, { $set: { sequence: view.sequence, version: id } }, { upsert: true }).catch(() => undefined);
    if (replaced?._id) {
      await versions.updateOne({ _id: replaced._id, current: true }, { $set: { current: false }, $unset: { view: '', summary: '' } });
    }
    return true;
  }

  async list(filter: PackageListFilter): Promise<PackageSummary[]> {
    const limit = filter.limit;
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    // MongoDB reads limit 0 as "no limit".
    if (limit === 0) return [];

    const query = listQuery(filter);
    const { versions } = await this.collections();
    for (let attempt = 1; ; attempt++) {
      const page = await versions
        .find(query, { projection: { _id: 0, package: 1, sequence: 1, summary: 1 } })
        .sort({ package: 1, sequence: -1 })
        .skip(offset)
        .limit(limit)
        .toArray();
      if (page.length === 0) return [];

      const newest = await this.newestSequences([...new Set(page.map((doc) => doc.package))]);
      const superseded = page.filter((doc) => doc.sequence !== newest.get(doc.package));
      if (superseded.length === 0 || attempt >= LIST_ATTEMPTS) {
        return page
          .filter((doc) => doc.sequence === newest.get(doc.package))
          .map((doc) => {
            if (typeof doc.summary !== 'string') throw new Error(`the current version of ${doc.package} has no summary`);
            return JSON.parse(doc.summary) as PackageSummary;
          });
      }
      // A writer stored a newer version and has not (yet) retired this one: retire it, read again.
      for (const pkg of new Set(superseded.map((doc) => doc.package))) {
        await this.retireSuperseded(pkg, newest.get(pkg)!);
      }
    }
  }

  async count(): Promise<number> {
    return (await this.collections()).versions.countDocuments({ current: true, active: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }

  /** Marks every version of `pkg` older than `sequence` as superseded and drops its view. */
  private async retireSuperseded(pkg: string, sequence: number): Promise<void> {
    await (await this.collections()).versions.updateMany(
      { package: pkg, current: true, sequence: { $lt: sequence } },
      { $set: { current: false }, $unset: { view: '', summary: '' } },
    );
  }

  /** The sequence of the newest version of each package (always a current one). */
  private async newestSequences(packages: string[]): Promise<Map<string, number>> {
    const docs = await (await this.collections()).versions
      .find({ package: { $in: packages }, current: true }, { projection: { _id: 0, package: 1, sequence: 1 } })
      .toArray();
    const newest = new Map<string, number>();
    for (const doc of docs) newest.set(doc.package, Math.max(doc.sequence, newest.get(doc.package) ?? 0));
    return newest;
  }
}

/** Every filter as an exact comparison on a stored field; nameContains as an escaped pattern. */
function listQuery(filter: PackageListFilter): Filter<PackageVersionDocument> {
  const and: Filter<PackageVersionDocument>[] = [{ current: true }, { active: true }];
  if (filter.namespace !== undefined) and.push({ namespace: filter.namespace });
  if (filter.mediaType !== undefined) and.push({ mediaTypes: filter.mediaType });
  if (filter.nameContains !== undefined && filter.nameContains !== '') {
    and.push({ package: { $regex: literalPattern(filter.nameContains) } });
  }
  if (filter.visibleNamespaces !== undefined && filter.visibleNamespaces !== 'all') {
    and.push({ $or: [{ visibility: 'public' }, { namespace: { $in: [...filter.visibleNamespaces] } }] });
  }
  return { $and: and };
}
