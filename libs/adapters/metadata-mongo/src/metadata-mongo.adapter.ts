/**
 * The distributed profile's metadata projection on MongoDB (and on FerretDB v1, which the local
 * backends run). Same semantics as the embedded adapter (metadata-sqlite).
 *
 * Storage: a package's HEAD (the view without its manifests, and the listing's summary) in one
 * document per stored VERSION of the head, and one ROW document per (release, media type) in
 * `<prefix>package_rows` holding the manifest. Heads, summaries and manifests are JSON strings
 * (user metadata and chart annotations have keys with `.` and `$`, which FerretDB refuses and
 * MongoDB handles badly), next to the scalar fields that get and list filter on.
 *
 * Rows and the head (see docs/architecture.md, "Heads and rows"): a row's `_id` is its
 * (package, release, media type), and it carries the sequence of the event that published it. A
 * put writes the rows its changes publish (upserts by `_id`) BEFORE the head's compare-and-set
 * below, and deletes the rows its changes delete only AFTER it. So every row a stored head holds
 * exists, and a row whose sequence is above the head's is a write not (yet) committed by a head:
 * `getRelease` then reads the head again, and refuses (DependencyUnavailableError, a 503) rather
 * than answer a manifest newer than the head it answers with; `get` assembles the rows the head
 * holds (a newer one there is an event already in the log, which the next apply writes again).
 * Single writer: a put that loses the head's compare-and-set (two writers at one sequence, which
 * only a split brain gives) may leave the rows it upserted; with the same events that is the
 * same content, with other events the `verify` tool names the package and a replay repairs it.
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
 * After a successful insert, the version it replaced is retired (`current: false`, view and
 * summary removed), by `_id`; list and count read current versions only. Retiring is monotonic
 * (a flag only ever goes from true to false, and never on the newest version), so FerretDB's
 * whole-document writes cannot undo it. Between the insert and the retire (or forever, if the
 * writer dies in between) a superseded version is still marked current: `list` reads each
 * package's current versions newest first, judges the package by the first one only and retires
 * the others it meets; `count` may count it until then. Retired versions stay as small documents
 * (no view): deleting them could let a stale writer that checked "sequence `expected` exists"
 * before the delete succeed after it.
 *
 * Reads by key only: FerretDB v1 uses no secondary index for queries (every filter but a lone
 * `_id` equality is answered by decoding the whole collection in Go, ~190 ms at a thousand
 * versions; even `_id` equality is a scan inside SQLite, because v1.24 indexes
 * `_ferretdb_sjson->"_id"` but queries `_ferretdb_sjson->'$._id'`, which SQLite does not match to
 * the index: a hit stops at its row, a miss reads every row, still ~10x cheaper than a Go-side
 * filter). So a version's `_id` is its chain link, `<package>@<previousSequence>`, and a
 * `<prefix>package_heads` document per package (`_id` = package) holds the newest version seen
 * and its view, written in one update after the insert. A read of a package this process holds
 * no head of reads the head and looks up its successor (`<package>@<sequence>`): none, and the
 * head is the answer (two commands); a stale head, left by a writer that died or lost a
 * non-atomic update, costs one more lookup per missed version, never a wrong answer. A process
 * that holds the parsed head of the newest version it read or wrote checks it by that successor
 * lookup alone (one command; `newestKnown`). So reads rely on a version document never being
 * removed from a live generation (retiring keeps it): dropping or restoring the live collections
 * behind running processes needs their restart, or a replay to a new generation. `put` trusts a
 * head that names the expected sequence (the head only ever names stored versions, and a
 * successor would make the exclusive insert fail), so a put into an existing package is one
 * read, the insert, the head and the retire. The `_id` is also what makes the insert exclusive,
 * on the primary key.
 *
 * Helm manifest digests: a `/v2/` manifest read by digest finds its helm release by a document
 * of `<prefix>package_digests` per (package, digest) (`_id` = digestId), naming the releases
 * whose manifest had that digest; the head does not carry them, so a push writes a document the
 * size of its release, not an index that grows with the package. A put adds its helm releases to
 * their digests' documents with the rows, BEFORE the head's insert, so every helm release a
 * stored head holds is named by its digest's document. It never removes a name (that would need
 * the digest the release had before, which a put does not read): a name a forced republish or a
 * delete left behind is told apart on read, where the row's own digest must be the one asked for
 * (`helmReleaseOfDigest`). A replay writes them anew. Databases written before the documents
 * existed (the head held the index, or nothing) get them from `init` once, marked by
 * DIGESTS_LAYOUT_ID.
 *
 * Generations, for rebuilds (ProjectionRebuild): `MongoGenerations` (libs/adapters/mongo), the
 * projection `metadata` over `<prefix>package_versions`, `<prefix>package_heads` and
 * `<prefix>package_rows`; generation 0 is the unsuffixed set, a rebuild fills `_g<n>` and the
 * switch is one write of the pointer.
 *
 * The layout before rows (a version's and a head's whole `view`, no rows) is still read: such a
 * package answers from its view, and its first put writes every row (the changes aside). `npm run
 * replay -- metadata` rewrites every package in the new layout at once (docs/architecture.md,
 * "Replay").
 *
 * Whole views (`get`, for the writer and the readers that need every manifest) are kept in memory
 * per generation and package with their sequence (LruBySize): a read that finds the head at that
 * sequence reads no row. Assembling one otherwise reads the rows the head names, each by `_id`
 * (ROW_READS_AT_ONCE at a time), so its cost follows the package, never the database. The rows
 * `getRelease` reads are kept the same way, with the head's sequence they were read at: the
 * next read of that release at that head reads the head alone, as a cached view does.
 */
import { HighestByKey, LruBySize } from '@wharf/collections';
import { MongoBulkWriteError, MongoServerError } from 'mongodb';
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, MongoClient } from 'mongodb';
import {
  GENERATIONS_COLLECTION,
  MongoConnectionOptions,
  MongoGenerations,
  connectMongo,
  generationNames,
  literalPattern,
} from '@wharf/adapters/mongo';
import {
  HELM_MEDIA_TYPE,
  HeadFields,
  HelmManifestDigest,
  ManifestChanges,
  ManifestRow,
  PackageHead,
  PackageSummary,
  PackageView,
  ReleaseManifest,
  Visibility,
  assembleView,
  headFieldsOfHead,
  headHasReleases,
  headIsOciRepository,
  heldHelmReleases,
  helmDigestOfRow,
  helmReleaseOfDigest,
  joinHead,
  mediaTypesOfHead,
  packageHead,
  rowsOfView,
  summaryOfHead,
  viewAfterChanges,
} from '@wharf/domain';
import { DependencyUnavailableError } from '@wharf/ports';
import type {
  HeadAndManifest,
  MetadataStore,
  PackageListFilter,
  PackageReader,
  ProjectionRebuild,
  ReleaseOfHead,
} from '@wharf/ports';
import { translateMongoOutages } from '@wharf/adapters/mongo';

export interface MongoMetadataStoreOptions extends MongoConnectionOptions {
  /** How long the live generation read from the pointer document is trusted. Default 1000 ms. */
  generationCacheMs?: number;
  /** Characters of JSON the in-memory cache of whole views may hold (default 32 MiB; 0 turns it off). */
  viewCacheBytes?: number;
}

const DEFAULT_VIEW_CACHE_BYTES = 32 * 1024 * 1024;

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
  /** The package has no release but OCI artifacts: only the /v2 catalog lists it (absent: false). */
  ociOnly?: boolean;
  namespace: string;
  visibility: Visibility;
  mediaTypes: string[];
  /** JSON of the head's fields (the view without its manifests); removed when the version is retired. */
  head?: string;
  /** The package's manifests are rows (absent: a version of the layout before rows, which has `view`). */
  rows?: true;
  /** JSON of the whole PackageView, in the layout before rows; removed when the version is retired. */
  view?: string;
  /** JSON of the PackageSummary; removed when the version is retired. */
  summary?: string;
}

/** A manifest of a package: one per (release, media type). */
export interface PackageRowDocument {
  /** `rowId(package, release, mediaType)`. */
  _id: string;
  package: string;
  release: string;
  mediaType: string;
  /** The sequence of the event that published it: its order among the package's manifests. */
  sequence: number;
  /** JSON of the ReleaseManifest. */
  manifest: string;
}

/** The helm releases whose manifest had a digest (sha256 hex), in one package. */
export interface PackageDigestDocument {
  /** `digestId(package, digest)`; DIGESTS_LAYOUT_ID marks a generation whose digests are all kept here. */
  _id: string;
  package?: string;
  digest?: string;
  /** Releases whose manifest had the digest when a put stored them (some may have another since). */
  releases?: string[];
}

/** A digest document's `_id`: two parts as a JSON array (a row's has three). */
export const digestId = (pkg: string, digest: string) => JSON.stringify([pkg, digest]);

/** The document that says every helm release of the generation is named by its digest's document. */
export const DIGESTS_LAYOUT_ID = 'layout:helm-digests';

/** A row's `_id`: the three parts as a JSON array, so no separator can be forged by a name. */
export const rowId = (pkg: string, release: string, mediaType: string) => JSON.stringify([pkg, release, mediaType]);

interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: true;
}

/** The indexes `init` creates; the two unique ones are what makes `put` a compare-and-set. */
export const METADATA_INDEXES: readonly IndexSpec[] = [
  { name: 'package_previous_sequence_unique', key: { package: 1, previousSequence: 1 }, unique: true },
  { name: 'package_sequence_unique', key: { package: 1, sequence: -1 }, unique: true },
  { name: 'current_by_package', key: { current: 1, package: 1, sequence: -1 } },
  { name: 'current_by_namespace', key: { current: 1, namespace: 1, package: 1, sequence: -1 } },
];

/**
 * Indexes earlier versions of this adapter created and nothing queries any more; `init` drops
 * them, since every insert and update still pays to maintain them.
 */
export const RETIRED_METADATA_INDEXES: readonly string[] = ['listing', 'listing_by_namespace', 'listing_by_media_type'];

/** Where `get` starts following a package's chain: the newest version seen, with its head. */
interface PackageHeadDocument {
  _id: string;
  sequence: number;
  /** `_id` of the version document with that sequence. */
  version: string;
  /**
   * JSON of that version's head fields and summary, written with `sequence` and `version` in one
   * update, so a read that finds no successor needs nothing else. Heads of the layout before rows
   * carry `view` instead; older ones neither (then the version document is read).
   */
  head?: string;
  summary?: string;
  rows?: true;
  view?: string;
}

/** A stored version as `get` and `put` need it: its document's `_id`, sequence and content. */
interface StoredVersion {
  id: string;
  sequence: number;
  /** Whether its manifests are rows (else it is of the layout before rows, or not read). */
  rows?: true;
  /** Absent only on a retired version, which is never the newest. */
  head?: string;
  summary?: string;
  /** The whole view, in the layout before rows. */
  view?: string;
}

const storedVersion = (doc: PackageVersionDocument | PackageHeadDocument, id: string): StoredVersion => ({
  id,
  sequence: doc.sequence,
  ...(doc.rows ? { rows: true as const } : {}),
  head: doc.head,
  summary: doc.summary,
  view: doc.view,
});

/** The head a stored version holds (of either layout). */
function headOf(pkg: string, version: StoredVersion): PackageHead {
  if (typeof version.head === 'string' && typeof version.summary === 'string')
    return joinHead(JSON.parse(version.head) as HeadFields, JSON.parse(version.summary) as PackageSummary);
  if (typeof version.view === 'string') return packageHead(JSON.parse(version.view) as PackageView);
  throw new Error(`the newest version of ${pkg} (sequence ${version.sequence}) has no head`);
}

const holds = (head: PackageHead, release: string, mediaType: string) =>
  head.releases.some((r) => r.release === release && r.mediaTypes.includes(mediaType));

/** How often get and getRelease read the head when a row is newer than it or gone (a put in progress). */
const ROW_READ_ATTEMPTS = 3;

/** Before reading a head again: 10 ms, then 20 ms, the time a put takes between its rows and its head. */
const pause = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, 10 * attempt));

const linkId = (pkg: string, previousSequence: number) => `${pkg}@${previousSequence}`;

/** The version document a put of `head` inserts, linked from `expectedSequence` (put and putRebuilt alike). */
function versionDocument(head: PackageHead, expectedSequence: number): PackageVersionDocument {
  return {
    _id: linkId(head.package, expectedSequence),
    package: head.package,
    previousSequence: expectedSequence,
    sequence: head.sequence,
    current: true,
    active: headHasReleases(head),
    ...(!headHasReleases(head) && headIsOciRepository(head) ? { ociOnly: true } : {}),
    namespace: head.namespace,
    visibility: head.visibility,
    mediaTypes: mediaTypesOfHead(head),
    head: JSON.stringify(headFieldsOfHead(head)),
    rows: true,
    summary: JSON.stringify(summaryOfHead(head)),
  };
}

/** The head pointer's fields after a put stored `doc`. */
const headPointerFields = (doc: PackageVersionDocument) => ({
  sequence: doc.sequence,
  version: doc._id!,
  head: doc.head!,
  summary: doc.summary!,
  rows: true as const,
});

/** The row document of a published manifest. */
function rowDocument(pkg: string, { manifest, sequence }: ManifestRow): PackageRowDocument {
  return {
    _id: rowId(pkg, manifest.release, manifest.mediaType),
    package: pkg,
    release: manifest.release,
    mediaType: manifest.mediaType,
    sequence,
    manifest: JSON.stringify(manifest),
  };
}

/** What retiring a version sets: the flag, and its content dropped (by `_id`). */
const RETIRE = { $set: { current: false }, $unset: { view: '', head: '', summary: '' } } as const;

export { GENERATIONS_COLLECTION, literalPattern };
const HEADS_COLLECTION = 'package_heads';
/** The rows collection, without the prefix. */
export const ROWS_COLLECTION = 'package_rows';
/** The helm manifest digests' collection, without the prefix. */
export const DIGESTS_COLLECTION = 'package_digests';
const COLLECTIONS = [METADATA_COLLECTION, HEADS_COLLECTION, ROWS_COLLECTION, DIGESTS_COLLECTION] as const;

interface GenerationCollections {
  generation: number;
  versions: Collection<PackageVersionDocument>;
  heads: Collection<PackageHeadDocument>;
  rows: Collection<PackageRowDocument>;
  digests: Collection<PackageDigestDocument>;
}

/** The collection names of a generation (0: unsuffixed). */
export function generationCollectionNames(
  prefix: string,
  generation: number,
): { versions: string; heads: string; rows: string; digests: string } {
  const names = generationNames(prefix, COLLECTIONS, generation);
  return {
    versions: names[METADATA_COLLECTION],
    heads: names[HEADS_COLLECTION],
    rows: names[ROWS_COLLECTION],
    digests: names[DIGESTS_COLLECTION],
  };
}

/** The rows collection's index: a package's rows, for operators' queries (the adapter reads rows by `_id`). */
export const ROWS_INDEX: IndexSpec = { name: 'rows_by_package', key: { package: 1, sequence: 1 } };

/**
 * Row reads in flight at once while `get` assembles a view. By key, not one query on `package`:
 * FerretDB v1 answers that by decoding the whole rows collection (205 ms at 5,080 rows against
 * 27 ms for a 52-row package's point reads, 16 at a time), so a view read after a change, or by
 * a writer whose cache is cold, would cost as much as the whole database rather than the package.
 */
const ROW_READS_AT_ONCE = 16;

const DUPLICATE_KEY = 11000;
const INDEX_NOT_FOUND = 27;

/** How many packages' newest known versions a store remembers. */
const KNOWN_VERSIONS_KEPT = 100_000;

export class MongoMetadataStore implements MetadataStore {
  private readonly generations: MongoGenerations<(typeof COLLECTIONS)[number]>;
  private live: GenerationCollections | null = null;
  /** Per generation and package, the newest version this process has read or written (a bounded number of packages). */
  private readonly knownVersions = new HighestByKey<Pick<StoredVersion, 'id' | 'sequence' | 'rows'>>(
    KNOWN_VERSIONS_KEPT,
  );
  /** Per generation and package, a whole view and its weight (characters of JSON). */
  private readonly views: LruBySize<string, { view: PackageView; size: number }>;
  /** Per generation and package, the newest head parsed (weighed by its JSON). */
  private readonly parsedHeads: LruBySize<string, PackageHead>;
  /**
   * Per generation and row, a manifest `getRelease` read and the head's sequence it was read at
   * (weighed by its JSON): a head is never stored twice at one sequence, so while the newest head
   * has that sequence the row is what it was.
   */
  private readonly releaseRows: LruBySize<string, { sequence: number; manifest: ReleaseManifest }>;
  /** Per generation, package and digest, the releases its document named at a head's sequence (as `releaseRows`). */
  private readonly digestReleases: LruBySize<string, { sequence: number; releases: string[] }>;
  /**
   * The index of helm manifest digests a parsed head's JSON still held (`headAt`): a head stored
   * by a writer of the release before digest documents, during a rolling upgrade. Kept by the
   * parsed head itself, so it lives as long as `parsedHeads` holds that head.
   */
  private readonly headIndexes = new WeakMap<PackageHead, readonly HelmManifestDigest[]>();
  private closed = false;

  /** `fixedGeneration`: a rebuild's store, which writes that generation whatever the pointer says. */
  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly prefix: string,
    private readonly generationCacheMs: number,
    private readonly fixedGeneration: number | null = null,
    private readonly ownsClient = true,
    viewCacheBytes = DEFAULT_VIEW_CACHE_BYTES,
  ) {
    this.generations = new MongoGenerations(db, prefix, 'metadata', COLLECTIONS, generationCacheMs);
    this.views = new LruBySize({ maxTotalSize: viewCacheBytes, maxEntrySize: viewCacheBytes / 4 });
    this.parsedHeads = new LruBySize({ maxTotalSize: viewCacheBytes, maxEntrySize: viewCacheBytes / 4 });
    this.releaseRows = new LruBySize({ maxTotalSize: viewCacheBytes, maxEntrySize: viewCacheBytes / 4 });
    this.digestReleases = new LruBySize({ maxTotalSize: viewCacheBytes / 8, maxEntrySize: viewCacheBytes / 32 });
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
      rows: this.db.collection<PackageRowDocument>(names.rows),
      digests: this.db.collection<PackageDigestDocument>(names.digests),
    };
    return this.live;
  }

  /**
   * A store over the next generation's collections, emptied of what an unfinished rebuild left;
   * the switch moves the pointer to it (MongoGenerations.rebuild).
   */
  async rebuild(): Promise<ProjectionRebuild<MetadataStore>> {
    const rebuild = await this.generations.rebuild(async (next) => {
      const store = new MongoMetadataStore(this.client, this.db, this.prefix, this.generationCacheMs, next, false, 0);
      // An empty generation, which the replay fills with every digest (putRebuilt): nothing to migrate.
      await (await store.collections()).digests.insertOne({ _id: DIGESTS_LAYOUT_ID });
      return store;
    });
    // The indexes are made at the switch, over the whole generation at once: while the replay
    // fills it, every insert would otherwise maintain five of them (FerretDB v1 keeps each as an
    // SQLite index), and nothing reads it by them before the switch (every write and read of a
    // rebuild is by `_id`, which is what makes a version's insert exclusive).
    return {
      store: rebuild.store,
      switchOver: async () => {
        await rebuild.store.init();
        return rebuild.switchOver();
      },
      abort: () => rebuild.abort(),
    };
  }

  /** Connects, creates the collection's indexes (idempotently) and returns the store, which owns the client. */
  static async connect(options: MongoMetadataStoreOptions): Promise<MongoMetadataStore> {
    return connectMongo(options, async (connection) => {
      const store = MongoMetadataStore.on(connection, options);
      await store.init();
      return store;
    });
  }

  /**
   * Connects for reading only (the gateway's PackageReader in the distributed profile): no index
   * is created or checked, that is the writer's business (connect). The reader follows the same
   * chains and generation pointer as the writer, so it sees a put as soon as the put returns:
   * a push answered 200 is readable through any gateway's next request.
   */
  static async connectReader(options: MongoMetadataStoreOptions): Promise<PackageReader & { close(): Promise<void> }> {
    return connectMongo(options, async (connection) => MongoMetadataStore.on(connection, options));
  }

  /** A store of the first generation on a connection (the writer's and the reader's alike). */
  private static on(
    { client, db, prefix }: { client: MongoClient; db: Db; prefix: string },
    options: MongoMetadataStoreOptions,
  ): MongoMetadataStore {
    return new MongoMetadataStore(
      client,
      db,
      prefix,
      options.generationCacheMs ?? 1000,
      null,
      true,
      options.viewCacheBytes,
    );
  }

  /**
   * Creates the collection's indexes, or checks they exist as specified, and drops the retired
   * ones; safe to run again and from several processes. One index per command: FerretDB v1.24
   * panics (and drops the connection) on a createIndexes naming two or more indexes that already
   * exist, and accepts an existing index of the same name and key whatever its options, hence the
   * check afterwards.
   */
  async init(): Promise<void> {
    const live = await this.collections();
    const { versions, rows } = live;
    await rows.createIndex(ROWS_INDEX.key, { name: ROWS_INDEX.name });
    for (const spec of METADATA_INDEXES) {
      await versions.createIndex(spec.key, { name: spec.name, ...(spec.unique ? { unique: true } : {}) });
    }
    let existing = await versions.indexes();
    const retired = existing.filter((index) => RETIRED_METADATA_INDEXES.includes(String(index.name)));
    for (const index of retired) {
      // Another instance starting at the same moment may have dropped it first.
      await versions.dropIndex(String(index.name)).catch((error: unknown) => {
        if (!(error instanceof MongoServerError && error.code === INDEX_NOT_FOUND)) throw error;
      });
    }
    if (retired.length > 0) existing = await versions.indexes();
    for (const spec of METADATA_INDEXES) {
      const found = existing.find((index) => index.name === spec.name);
      if (
        !found ||
        JSON.stringify(found.key) !== JSON.stringify(spec.key) ||
        Boolean(found.unique) !== Boolean(spec.unique)
      ) {
        throw new Error(
          `index ${spec.name} of ${versions.collectionName} is ${JSON.stringify(found ?? null)}, ` +
            `expected ${JSON.stringify({ key: spec.key, unique: Boolean(spec.unique) })}; drop it to let init recreate it`,
        );
      }
    }
    await this.migrateDigests(live);
  }

  /**
   * A generation written before the digests had their documents: each package's newest version
   * gives its helm releases' digests (the index its head held, else its helm rows, else its
   * view), written by `_id`; then DIGESTS_LAYOUT_ID. Once per generation; a second process
   * migrating at the same moment writes the same documents.
   */
  private async migrateDigests(live: GenerationCollections): Promise<void> {
    const { versions, rows, digests } = live;
    if (await digests.findOne({ _id: DIGESTS_LAYOUT_ID })) return;
    const cursor = versions
      .find({ current: true }, { projection: { package: 1, sequence: 1, head: 1, summary: 1, view: 1, rows: 1 } })
      .sort({ package: 1, sequence: -1 });
    let previous: string | null = null;
    const entries: { pkg: string; digest: string; release: string }[] = [];
    for await (const doc of cursor) {
      if (doc.package === previous) continue;
      previous = doc.package;
      const version = storedVersion(doc, doc._id!);
      const indexed = typeof doc.head === 'string' ? (JSON.parse(doc.head) as StoredIndex).helmManifestDigests : null;
      if (indexed) {
        for (const e of indexed) entries.push({ pkg: doc.package, digest: e.digest, release: e.release });
        continue;
      }
      const manifests: ReleaseManifest[] = [];
      if (typeof doc.view === 'string' && !doc.rows) manifests.push(...(JSON.parse(doc.view) as PackageView).manifests);
      else if (version.head !== undefined) {
        const head = headOf(doc.package, version);
        const ids = heldHelmReleases(
          head,
          head.releases.map((r) => r.release),
        ).map((r) => rowId(doc.package, r, HELM_MEDIA_TYPE));
        for (const row of await inBatches(ids, ROW_READS_AT_ONCE, (id) => rows.findOne({ _id: id })))
          if (row) manifests.push(JSON.parse(row.manifest) as ReleaseManifest);
      }
      for (const m of manifests) {
        const entry = m.mediaType === HELM_MEDIA_TYPE ? helmDigestOfRow(m) : null;
        if (entry) entries.push({ pkg: doc.package, ...entry });
      }
    }
    await addDigests(digests, entries);
    await digests.updateOne({ _id: DIGESTS_LAYOUT_ID }, { $set: { _id: DIGESTS_LAYOUT_ID } }, { upsert: true });
  }

  /**
   * The whole view: the head, then every row it names, by `_id`. A row newer than the head (a
   * put between its rows and its head) or missing (a put that moved the head on and deleted it
   * since) means the head read is no longer the newest: it is read again, as getRelease does,
   * and after ROW_READ_ATTEMPTS the read is refused as an outage. Such a mixture is never
   * answered nor cached.
   */
  async get(pkg: string): Promise<PackageView | null> {
    // One generation for the whole read: the pointer may move on while it runs.
    const live = await this.collections();
    const { generation, rows } = live;
    for (let attempt = 0; attempt < ROW_READ_ATTEMPTS; attempt++) {
      if (attempt > 0) await pause(attempt);
      const key = `${generation}\0${pkg}`;
      const known = await this.newestKnown(live, pkg);
      if (!known) return null;
      const { version: newest, head } = known;
      if (!newest.rows && typeof newest.view === 'string') return JSON.parse(newest.view) as PackageView;
      const cached = this.views.get(key);
      if (cached?.view.sequence === newest.sequence) return cached.view;
      // The head names every row it holds: read those by key, ROW_READS_AT_ONCE at a time. Rows it
      // does not hold (deletes not yet made, a losing writer's) are never read.
      const ids = head.releases.flatMap((r) => r.mediaTypes.map((t) => rowId(pkg, r.release, t)));
      // A version checked by its successor alone (newestKnown) carries no JSON: its parsed head's fields.
      const fields = newest.head === undefined ? headFieldsOfHead(head) : (JSON.parse(newest.head) as HeadFields);
      let size = newest.head?.length ?? JSON.stringify(fields).length;
      const found: ManifestRow[] = [];
      let consistent = true;
      for (let at = 0; at < ids.length && consistent; at += ROW_READS_AT_ONCE) {
        const batch = ids.slice(at, at + ROW_READS_AT_ONCE).map((id) => rows.findOne({ _id: id }));
        for (const row of await Promise.all(batch)) {
          if (!row || row.sequence > newest.sequence) {
            consistent = false;
            break;
          }
          size += row.manifest.length;
          found.push({ sequence: row.sequence, manifest: JSON.parse(row.manifest) as ReleaseManifest });
        }
      }
      if (!consistent) continue;
      const view = assembleView(fields, found);
      this.views.set(key, { view, size }, size);
      return view;
    }
    throw new DependencyUnavailableError('MongoDB', {
      cause: new Error(`${pkg} is being written; its rows and its head do not agree yet`),
    });
  }

  async getHead(pkg: string): Promise<PackageHead | null> {
    return (await this.newestKnown(await this.collections(), pkg))?.head ?? null;
  }

  /**
   * The head, then the row by `_id`. A row newer than the head is a put between its rows and its
   * head: the head is read again, a bounded number of times, and then the read is refused as an
   * outage (the writer, or the projector repairing after it, moves the head on).
   */
  async getRelease(pkg: string, releaseOf: ReleaseOfHead, mediaType: string): Promise<HeadAndManifest | null> {
    const live = await this.collections();
    for (let attempt = 0; attempt < ROW_READ_ATTEMPTS; attempt++) {
      if (attempt > 0) await pause(attempt);
      const known = await this.newestKnown(live, pkg);
      if (!known) return null;
      const { version: newest, head } = known;
      if (releaseOf === null) return { head, manifest: null };
      if (typeof releaseOf !== 'string') {
        if (mediaType !== HELM_MEDIA_TYPE) return { head, manifest: null };
        const read = await this.byDigest(live, pkg, newest, head, releaseOf.helmManifestDigest);
        if (read !== undefined) return { head, manifest: read };
        continue;
      }
      if (!holds(head, releaseOf, mediaType)) return { head, manifest: null };
      const read = await this.rowAt(live, pkg, newest, releaseOf, mediaType);
      if (read !== undefined) return { head, manifest: read };
    }
    throw new DependencyUnavailableError('MongoDB', {
      cause: new Error(
        `${pkg} ${typeof releaseOf === 'string' ? releaseOf : '(a release by digest)'} ${mediaType} is being written; its head has not caught up`,
      ),
    });
  }

  /**
   * The manifest of a (release, media type) the head at `newest` holds; undefined when its row is
   * newer than that head (a put between its rows and its head: read the head again).
   */
  private async rowAt(
    { generation, rows }: GenerationCollections,
    pkg: string,
    newest: StoredVersion,
    release: string,
    mediaType: string,
  ): Promise<ReleaseManifest | null | undefined> {
    if (!newest.rows && typeof newest.view === 'string') {
      const view = JSON.parse(newest.view) as PackageView;
      return view.manifests.find((m) => m.release === release && m.mediaType === mediaType) ?? null;
    }
    const key = `${generation}\0${rowId(pkg, release, mediaType)}`;
    const cached = this.releaseRows.get(key);
    if (cached?.sequence === newest.sequence) return cached.manifest;
    const row = await rows.findOne({ _id: rowId(pkg, release, mediaType) });
    if (!row || row.sequence > newest.sequence) return undefined;
    const manifest = JSON.parse(row.manifest) as ReleaseManifest;
    this.releaseRows.set(key, { sequence: newest.sequence, manifest }, row.manifest.length);
    return manifest;
  }

  /**
   * The helm release of `digest` at the head of `newest`: the releases its digest document names
   * (read after the head: a put adds them before its head, so the head's are all there) and those
   * the head's own index names when its JSON still holds one, then their rows, the first whose
   * manifest has the digest. Undefined as `rowAt` gives it. The head's index is for a rolling
   * upgrade: a writer of the release before keeps storing it and writes no digest documents, also
   * after a writer of this release marked the generation migrated, and a reader upgraded first
   * reads heads no writer has migrated yet.
   */
  private async byDigest(
    live: GenerationCollections,
    pkg: string,
    newest: StoredVersion,
    head: PackageHead,
    digest: string,
  ): Promise<ReleaseManifest | null | undefined> {
    const key = `${live.generation}\0${digestId(pkg, digest)}`;
    const cached = this.digestReleases.get(key);
    let candidates =
      cached?.sequence === newest.sequence
        ? cached.releases
        : ((await live.digests.findOne({ _id: digestId(pkg, digest) }))?.releases ?? []);
    // A miss is not kept: the writer's migration (init) may name the digest at this same head.
    if (candidates.length > 0)
      this.digestReleases.set(key, { sequence: newest.sequence, releases: candidates }, key.length + 64);
    const indexed = (this.headIndexes.get(head) ?? []).filter((e) => e.digest === digest).map((e) => e.release);
    if (indexed.length > 0) candidates = [...candidates, ...indexed];
    const read = new Map<string, ReleaseManifest | null>();
    for (const release of heldHelmReleases(head, candidates)) {
      const manifest = await this.rowAt(live, pkg, newest, release, HELM_MEDIA_TYPE);
      if (manifest === undefined) return undefined;
      read.set(release, manifest);
    }
    return helmReleaseOfDigest(head, candidates, digest, (release) => read.get(release) ?? null);
  }

  /**
   * The head a version holds, parsed once per generation, package and sequence: a stored
   * sequence's head never changes, and parsing a large package's release index on every show
   * would cost what the rows spare.
   */
  private headAt(generation: number, pkg: string, version: StoredVersion): PackageHead {
    const key = `${generation}\0${pkg}`;
    const cached = this.parsedHeads.get(key);
    if (cached?.sequence === version.sequence) return cached;
    const head = headOf(pkg, version);
    const index = storedIndexOf(version.head);
    if (index) this.headIndexes.set(head, index);
    this.parsedHeads.set(
      key,
      head,
      (version.head?.length ?? 0) + (version.summary?.length ?? version.view?.length ?? 0),
    );
    return head;
  }

  /**
   * The newest version of a package and its head, for reads. When this process holds the head of
   * a version it read or wrote (parsed, of the layout with rows), that version is checked by the
   * one lookup that settles it, its successor's (`<package>@<sequence>`, the link a put inserts
   * exclusively before it answers): none, and it is still the newest, so a read at an unchanged
   * head costs one command, never a cache trusted without asking MongoDB. A successor found is
   * followed as newestVersion follows it; with nothing held, newestVersion. All in `live`, the
   * generation the caller read the pointer for, and what is learnt is kept under it.
   */
  private async newestKnown(
    live: GenerationCollections,
    pkg: string,
  ): Promise<{ version: StoredVersion; head: PackageHead } | null> {
    const key = `${live.generation}\0${pkg}`;
    const held = this.parsedHeads.get(key);
    const known = this.knownVersions.get(key);
    let newest: StoredVersion | null;
    if (held && known?.rows && known.sequence === held.sequence) {
      const next = await live.versions.findOne({ _id: linkId(pkg, known.sequence) });
      if (!next) return { version: { id: known.id, sequence: known.sequence, rows: true }, head: held };
      newest = await this.chainFrom(live, pkg, storedVersion(next, next._id!));
    } else newest = await this.newestVersion(live, pkg);
    return newest && { version: newest, head: this.headAt(live.generation, pkg, newest) };
  }

  /**
   * Starts at the package's head (its content included) and follows the chain to the version
   * with no successor. With a current head that is two reads by `_id`: the head, and the lookup
   * that finds no successor. A head written before heads carried content costs one more read.
   */
  private async newestVersion(live: GenerationCollections, pkg: string): Promise<StoredVersion | null> {
    const { versions, heads } = live;
    const head = await heads.findOne({ _id: pkg });
    let newest: StoredVersion | null = null;
    if (head && (typeof head.head === 'string' || typeof head.view === 'string'))
      newest = storedVersion(head, head.version);
    else if (head) {
      const doc = await versions.findOne({ _id: head.version });
      newest = doc && storedVersion(doc, doc._id!);
    }
    return this.chainFrom(live, pkg, newest);
  }

  /** `from` (null: the package's first version), then each successor, to the version with none. */
  private async chainFrom(
    { generation, versions }: GenerationCollections,
    pkg: string,
    from: StoredVersion | null,
  ): Promise<StoredVersion | null> {
    let newest = from;
    for (;;) {
      const next: PackageVersionDocument | null = await versions.findOne({ _id: linkId(pkg, newest?.sequence ?? 0) });
      if (!next) {
        if (newest) this.know(generation, pkg, newest);
        return newest;
      }
      newest = storedVersion(next, next._id!);
    }
  }

  /**
   * Remembers which version document holds a package's version of `sequence`: a fact that never
   * changes within a generation (each sequence is stored once, under one `_id`), so `put` can
   * trust it without reading the head.
   */
  private know(generation: number, pkg: string, version: Pick<StoredVersion, 'id' | 'sequence' | 'rows'>): void {
    this.knownVersions.offer(`${generation}\0${pkg}`, {
      id: version.id,
      sequence: version.sequence,
      ...(version.rows ? { rows: true as const } : {}),
    });
  }

  /**
   * For `put`: the stored version with sequence `expected` when it may be the newest, else the
   * newest. The head names only stored versions, so when it names `expected` that version exists,
   * and whether it has a successor is settled by the insert that links one to it (exclusive on
   * `_id`): one read, or none when this process last read or wrote that very version.
   * Otherwise the chain is followed from the head.
   */
  private async versionAt(live: GenerationCollections, pkg: string, expected: number): Promise<StoredVersion | null> {
    const { generation, heads } = live;
    const known = this.knownVersions.get(`${generation}\0${pkg}`);
    if (known?.sequence === expected) return known;
    const head = await heads.findOne({ _id: pkg }, { projection: { view: 0, head: 0, summary: 0 } });
    if (head?.sequence === expected)
      return { id: head.version, sequence: head.sequence, ...(head.rows ? { rows: true as const } : {}) };
    return this.newestVersion(live, pkg);
  }

  async put(view: PackageView, expectedSequence: number, changes?: ManifestChanges): Promise<boolean> {
    const outcome = await this.write(packageHead(view), expectedSequence, (replaced) =>
      // The changes hold only against rows: a package stored before rows has its every row written.
      changes && (replaced === null || replaced.rows === true)
        ? changes
        : { published: rowsOfView(view), deleted: [], whole: true },
    );
    if (!outcome) return false;
    this.rememberView(outcome.generation, view, outcome.whole ? null : outcome.rowsSize, outcome.firstHeadSize);
    return true;
  }

  async putHead(head: PackageHead, expectedSequence: number, changes: ManifestChanges): Promise<boolean> {
    const key = (generation: number) => `${generation}\0${head.package}`;
    let before: { view: PackageView; size: number } | undefined;
    const outcome = await this.write(head, expectedSequence, (replaced, generation) => {
      before = this.views.get(key(generation));
      // A package stored before rows has no rows to change: its view is put instead.
      return replaced === null || replaced.rows === true ? changes : null;
    });
    if (!outcome) return false;
    // A view cached at the previous sequence stays cached with the changes (for the readers of whole views).
    if (before && before.view.sequence === expectedSequence && expectedSequence > 0) {
      const size = before.size + outcome.rowsSize;
      this.views.set(key(outcome.generation), { view: viewAfterChanges(before.view, head, changes), size }, size);
    } else this.views.delete(key(outcome.generation));
    return true;
  }

  /**
   * Stores the puts of several packages (one each) in bulk, for a generation no one else writes:
   * a rebuild's store before its switch, which the replay fills. The documents are exactly those
   * `put(view, expectedSequence, changes)` of each would store (the same version chain, head
   * pointer and rows); what is left out is the compare-and-set's read, since the caller is the
   * generation's only writer and names the stored sequence. The writes keep a put's order, each
   * kind in bulk commands (unordered, REBUILT_CHUNK documents or bytes at most): the rows
   * (inserted; one that exists, left by a bulk write that failed half-way or published again,
   * is replaced), the versions (a link that exists means `expectedSequence` was not the stored
   * sequence: an error, and no version is linked twice), the head pointers, the rows deleted and
   * the replaced versions retired. A failure leaves each package as a put that failed part-way
   * does: a reader follows the chain to what was linked. Refused by a store of the live generation.
   */
  async putRebuilt(puts: readonly RebuiltPut[]): Promise<void> {
    if (this.fixedGeneration === null) throw new Error("putRebuilt writes a rebuild's generation only");
    if (new Set(puts.map((p) => p.view.package)).size !== puts.length)
      throw new RangeError('putRebuilt takes one put per package');
    const live = await this.collections();
    const { generation, versions, heads, rows } = live;
    const replaced = await inBatches(puts, ROW_READS_AT_ONCE, async ({ view, expectedSequence }) => {
      if (!Number.isSafeInteger(expectedSequence) || expectedSequence < 0 || !(view.sequence > expectedSequence))
        throw new RangeError(
          `the view of ${view.package} has sequence ${view.sequence}, not above expectedSequence ${expectedSequence}`,
        );
      if (expectedSequence === 0) return null;
      const stored = await this.versionAt(live, view.package, expectedSequence);
      if (stored?.sequence !== expectedSequence || !stored.rows)
        throw new Error(`${view.package} is not stored at sequence ${expectedSequence} with rows`);
      return stored.id;
    });
    const docs = puts.map(({ view, expectedSequence }) => versionDocument(packageHead(view), expectedSequence));
    const rowDocs = puts.flatMap(({ view, changes }) => changes.published.map((row) => rowDocument(view.package, row)));
    await insertOrReplaceRows(rows, rowDocs);
    await addDigests(
      live.digests,
      puts.flatMap(({ view, changes }) => digestEntries(view.package, changes.published)),
    );
    await bulkInChunks(
      versions,
      docs.map((document) => ({ op: { insertOne: { document } }, bytes: versionBytes(document) })),
    );
    docs.forEach((doc) => this.know(generation, doc.package, { id: doc._id!, sequence: doc.sequence, rows: true }));
    await bulkInChunks(
      heads,
      docs.map((doc, i) => {
        const pointer: PackageHeadDocument = { _id: doc.package, ...headPointerFields(doc) };
        // An upsert for a stored package, as `put` writes its head: a bulk write that failed
        // between the versions and the heads leaves a package stored without a head pointer
        // (an upsert that finds its `_id` costs no scan on FerretDB).
        const op: AnyBulkWriteOperation<PackageHeadDocument> =
          replaced[i] === null
            ? { insertOne: { document: pointer } }
            : { replaceOne: { filter: { _id: pointer._id }, replacement: pointer, upsert: true } };
        return { op, bytes: versionBytes(doc) };
      }),
    );
    await bulkInChunks(
      rows,
      puts.flatMap(({ view, changes }) =>
        changes.deleted.map((d) => ({
          op: { deleteOne: { filter: { _id: rowId(view.package, d.release, d.mediaType) } } },
          bytes: 0,
        })),
      ),
    );
    await bulkInChunks(
      versions,
      replaced.flatMap((id) =>
        id === null ? [] : [{ op: { updateOne: { filter: { _id: id }, update: RETIRE } }, bytes: 0 }],
      ),
    );
  }

  /**
   * The compare-and-set of a head, with the rows `rowsFor` names for the version it replaces:
   * rows first, then the version's exclusive insert, then the head pointer, the rows deleted and
   * the replaced version's retire. Null when the stored sequence is not `expectedSequence`, or
   * `rowsFor` answers null (nothing written then).
   */
  private async write(
    head: PackageHead,
    expectedSequence: number,
    rowsFor: (replaced: StoredVersion | null, generation: number) => (ManifestChanges & { whole?: true }) | null,
  ): Promise<{ generation: number; rowsSize: number; whole: boolean; firstHeadSize: number | null } | null> {
    if (!Number.isSafeInteger(expectedSequence) || expectedSequence < 0) {
      throw new RangeError(`expectedSequence must be a non-negative integer, got ${expectedSequence}`);
    }
    const pkg = head.package;
    const advances = Number.isSafeInteger(head.sequence) && head.sequence > expectedSequence;
    // One generation for the read and the writes: the pointer may move on meanwhile.
    const live = await this.collections();
    const { generation, versions, heads, rows } = live;
    // A head that does not advance is refused below, but only once the stored sequence is known.
    const replaced =
      expectedSequence === 0
        ? null
        : advances
          ? await this.versionAt(live, pkg, expectedSequence)
          : await this.newestVersion(live, pkg);
    if ((replaced?.sequence ?? 0) !== expectedSequence) return null;
    if (!advances) {
      throw new RangeError(
        `the view of ${pkg} has sequence ${head.sequence}, not above expectedSequence ${expectedSequence}`,
      );
    }
    const id = linkId(pkg, expectedSequence);
    const changes = rowsFor(replaced, generation);
    if (!changes) return null;
    const doc = versionDocument(head, expectedSequence);
    // Rows first: every row a stored head holds exists (a reader of the head finds it).
    let rowsSize = 0;
    const upserts = changes.published.map((published) => {
      const row = rowDocument(pkg, published);
      rowsSize += row.manifest.length;
      return { replaceOne: { filter: { _id: row._id }, replacement: row, upsert: true } };
    });
    await upsertById(rows, upserts);
    await addDigests(live.digests, digestEntries(pkg, changes.published));
    try {
      // Exclusive on the primary key: only one writer links a successor to `expectedSequence`.
      await versions.insertOne(doc);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) {
        this.views.delete(`${generation}\0${pkg}`);
        return null;
      }
      throw error;
    }
    this.know(generation, pkg, { id, sequence: head.sequence, rows: true });
    // Stored. What follows only speeds up reads or drops what no head holds any more; if it
    // fails, the next reader walks further and the next list or put retires what this one did not.
    await heads
      .updateOne({ _id: pkg }, { $set: headPointerFields(doc), $unset: { view: '' } }, { upsert: true })
      .catch(() => undefined);
    await deleteRows(rows, pkg, changes.deleted).catch(() => undefined);
    // By `_id` alone (FerretDB v1 scans the whole collection for any other filter); retiring an
    // already retired version again changes nothing, so no `current: true` condition is needed.
    if (replaced) await retire(versions, [replaced.id]);
    return {
      generation,
      rowsSize,
      whole: changes.whole === true,
      firstHeadSize: replaced === null ? doc.head!.length : null,
    };
  }

  /**
   * Keeps the view just stored: weighed by what it weighed before (for a new package, its head)
   * plus the rows written, or, for a whole rewrite (`rowsSize` null), by its JSON. A partial write
   * into a view not cached is not kept (its weight is unknown without serialising it whole).
   */
  private rememberView(
    generation: number,
    view: PackageView,
    rowsSize: number | null,
    /** For a first put: the head's JSON, which with its rows is the whole view. */
    firstHeadSize: number | null,
  ): void {
    if (!this.views.enabled) return;
    const key = `${generation}\0${view.package}`;
    if (rowsSize === null) {
      const size = JSON.stringify(view).length;
      this.views.set(key, { view, size }, size);
      return;
    }
    const before = firstHeadSize ?? this.views.get(key)?.size;
    if (before === undefined) return;
    const size = before + rowsSize;
    this.views.set(key, { view, size }, size);
  }

  /**
   * One query: the current versions of the packages the filter's fixed fields (namespace, name)
   * select, by package and newest first. The first version of each package is its newest (the
   * newest is never retired); the attributes a version can change (active, visibility, media
   * types) are judged on that one only, so a superseded version a writer has not retired yet is
   * never listed in its place. Those seen are retired on the way (by `_id`).
   */
  async list(filter: PackageListFilter): Promise<PackageSummary[]> {
    const limit = filter.limit;
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new RangeError(`offset must be a non-negative integer, got ${offset}`);
    if (limit === 0) return [];

    const { versions } = await this.collections();
    const cursor = versions
      .find(candidatesQuery(filter), {
        projection: LISTING_PROJECTION,
        batchSize: Math.min(offset + limit + 1, LIST_BATCH_MAX),
      })
      .sort({ package: 1, sequence: -1 });
    const page: PackageSummary[] = [];
    const superseded: string[] = [];
    let skipped = 0;
    let previous: string | null = null;
    try {
      for await (const doc of cursor) {
        if (doc.package === previous) {
          superseded.push(doc._id!);
          continue;
        }
        if (page.length === limit) break;
        previous = doc.package;
        if (!isListed(doc, filter)) continue;
        if (skipped < offset) {
          skipped++;
          continue;
        }
        if (typeof doc.summary !== 'string') throw new Error(`the current version of ${doc.package} has no summary`);
        page.push(JSON.parse(doc.summary) as PackageSummary);
      }
    } finally {
      await cursor.close();
    }
    await retire(versions, superseded);
    return page;
  }

  async count(): Promise<number> {
    return (await this.collections()).versions.countDocuments({ current: true, active: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.client.close();
  }
}

/**
 * After the head moved on: the rows the changes delete, by `_id`. A put without changes deletes
 * none: rows no head holds are never read (get and getRelease go by the head), and a later
 * publication of the same release and media type overwrites them.
 */
async function deleteRows(
  rows: Collection<PackageRowDocument>,
  pkg: string,
  deleted: ManifestChanges['deleted'],
): Promise<void> {
  const ids = deleted.map((d) => rowId(pkg, d.release, d.mediaType));
  if (ids.length === 0) return;
  await rows.bulkWrite(ids.map((rid) => ({ deleteOne: { filter: { _id: rid } } })));
}

/** A head stored by a release that kept its helm manifest digests in it. */
interface StoredIndex {
  helmManifestDigests?: HelmManifestDigest[];
}

/** The index of helm manifest digests a head's JSON holds, if it was stored with one (by the release before). */
function storedIndexOf(head: string | undefined): readonly HelmManifestDigest[] | undefined {
  // Only a head of the release before names the field: a head of this release is not parsed twice.
  if (head === undefined || !head.includes('"helmManifestDigests"')) return undefined;
  return (JSON.parse(head) as StoredIndex).helmManifestDigests;
}

/** The digest entries of the helm rows among `published`. */
function digestEntries(
  pkg: string,
  published: readonly ManifestRow[],
): { pkg: string; digest: string; release: string }[] {
  return published.flatMap(({ manifest }) => {
    const entry = manifest.mediaType === HELM_MEDIA_TYPE ? helmDigestOfRow(manifest) : null;
    return entry ? [{ pkg, ...entry }] : [];
  });
}

/**
 * Names each release in its digest's document, by `_id` (an upsert adding to the set: the same
 * entry twice changes nothing, so a command raced by another writer is sent again whole), in
 * bulk commands of REBUILT_CHUNK's documents at most.
 */
async function addDigests(
  digests: Collection<PackageDigestDocument>,
  entries: readonly { pkg: string; digest: string; release: string }[],
): Promise<void> {
  const ops: AnyBulkWriteOperation<PackageDigestDocument>[] = entries.map(({ pkg, digest, release }) => ({
    updateOne: {
      filter: { _id: digestId(pkg, digest) },
      update: { $set: { package: pkg, digest }, $addToSet: { releases: release } },
      upsert: true,
    },
  }));
  for (let at = 0; at < ops.length; at += REBUILT_CHUNK.documents)
    await upsertById(digests, ops.slice(at, at + REBUILT_CHUNK.documents));
}

/** Marks versions superseded (`current: false`, head, view and summary dropped), each by `_id`. */
async function retire(versions: Collection<PackageVersionDocument>, ids: readonly string[]): Promise<void> {
  for (const id of ids) await versions.updateOne({ _id: id }, RETIRE);
}

/**
 * Upserts by `_id`. Two upserts of one new `_id` at once (writers at the same sequence) make one
 * of them fail on the primary key, as MongoDB documents for upserts; the document exists then,
 * so the write is made again (an update or a replace of the document now found).
 */
async function upsertById<T extends Document>(
  collection: Collection<T>,
  upserts: AnyBulkWriteOperation<T>[],
): Promise<void> {
  for (let attempt = 1; upserts.length > 0; attempt++) {
    try {
      await collection.bulkWrite(upserts, { ordered: false });
      return;
    } catch (error) {
      const failed = error instanceof MongoBulkWriteError ? writeErrorsOf(error) : [];
      const raced = attempt < 3 && failed.length > 0 && failed.every((e) => e.code === DUPLICATE_KEY);
      if (!raced) throw error;
    }
  }
}

const LISTING_PROJECTION = {
  package: 1,
  sequence: 1,
  active: 1,
  ociOnly: 1,
  namespace: 1,
  visibility: 1,
  mediaTypes: 1,
  summary: 1,
} as const;
/** Upper bound on the first batch of a list's query (offset + limit + 1 below it). */
const LIST_BATCH_MAX = 2000;

/**
 * The current versions a list may pick from: only what every version of a package shares
 * (its namespace and name) is filtered in the query; nameContains as an escaped pattern.
 */
function candidatesQuery(filter: PackageListFilter): Filter<PackageVersionDocument> {
  const query: Filter<PackageVersionDocument> = { current: true };
  if (filter.namespace !== undefined) query.namespace = filter.namespace;
  const name: { $regex?: string; $gt?: string } = {};
  if (filter.nameContains !== undefined && filter.nameContains !== '')
    name.$regex = literalPattern(filter.nameContains);
  if (filter.after !== undefined) name.$gt = filter.after;
  if (Object.keys(name).length > 0) query.package = name;
  return query;
}

/** Whether a package's newest version is listed under the filter's changeable criteria. */
function isListed(newest: PackageVersionDocument, filter: PackageListFilter): boolean {
  if (!newest.active && !(filter.includeOciOnly && newest.ociOnly)) return false;
  if (filter.mediaType !== undefined && !newest.mediaTypes.includes(filter.mediaType)) return false;
  const visible = filter.visibleNamespaces;
  return (
    visible === undefined || visible === 'all' || newest.visibility === 'public' || visible.includes(newest.namespace)
  );
}

/** A put for `putRebuilt`: what `put(view, expectedSequence, changes)` takes. */
export interface RebuiltPut {
  view: PackageView;
  expectedSequence: number;
  changes: ManifestChanges;
}

/**
 * Largest bulk command putRebuilt sends: documents and characters of JSON (well under MongoDB's
 * 100,000 writes and 48 MB a message, and small enough for FerretDB v1, which writes a command's
 * documents in one SQLite transaction).
 */
export const REBUILT_CHUNK = { documents: 1000, bytes: 8 * 1024 * 1024 } as const;

const versionBytes = (doc: PackageVersionDocument) => (doc.head?.length ?? 0) + (doc.summary?.length ?? 0);

/**
 * Runs the operations in unordered bulk commands of at most REBUILT_CHUNK each. A command that
 * fails throws, unless `recover` takes its error (given the index of the command's first
 * operation among `operations`), and then the next command is sent.
 */
async function bulkInChunks<T extends Document>(
  collection: Collection<T>,
  operations: readonly { op: AnyBulkWriteOperation<T>; bytes: number }[],
  recover?: (error: unknown, first: number) => void,
): Promise<void> {
  let chunk: AnyBulkWriteOperation<T>[] = [];
  let first = 0;
  let bytes = 0;
  const send = async () => {
    try {
      if (chunk.length > 0) await collection.bulkWrite(chunk, { ordered: false });
    } catch (error) {
      if (!recover) throw error;
      recover(error, first);
    }
    first += chunk.length;
    chunk = [];
    bytes = 0;
  };
  for (const { op, bytes: size } of operations) {
    if (chunk.length >= REBUILT_CHUNK.documents || (chunk.length > 0 && bytes + size > REBUILT_CHUNK.bytes))
      await send();
    chunk.push(op);
    bytes += size;
  }
  await send();
}

/**
 * Inserts the rows; those whose `_id` exists already (a row published again, or left by a bulk
 * write that failed half-way) are replaced instead. Inserts, because an upsert of a new `_id` is
 * a query that misses, which FerretDB v1 answers by reading the whole collection.
 */
async function insertOrReplaceRows(rows: Collection<PackageRowDocument>, docs: PackageRowDocument[]): Promise<void> {
  const existing: PackageRowDocument[] = [];
  await bulkInChunks(
    rows,
    docs.map((document) => ({ op: { insertOne: { document } }, bytes: document.manifest.length })),
    (error, first) => {
      const failed = error instanceof MongoBulkWriteError ? writeErrorsOf(error) : [];
      if (failed.length === 0 || failed.some((e) => e.code !== DUPLICATE_KEY)) throw error;
      existing.push(...failed.map((e) => docs[first + e.index]!));
    },
  );
  await bulkInChunks(
    rows,
    existing.map((row) => ({
      op: { replaceOne: { filter: { _id: row._id }, replacement: row } },
      bytes: row.manifest.length,
    })),
  );
}

const writeErrorsOf = (error: MongoBulkWriteError) =>
  error.writeErrors === undefined ? [] : Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];

/** `work` over `items`, `atOnce` at a time; the results in the items' order. */
async function inBatches<T, R>(items: readonly T[], atOnce: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let at = 0; at < items.length; at += atOnce)
    results.push(...(await Promise.all(items.slice(at, at + atOnce).map(work))));
  return results;
}

// MongoDB's connection errors leave every method as the ports' DependencyUnavailableError (mongo-outage.ts in libs/adapters/mongo).
translateMongoOutages(MongoMetadataStore);
