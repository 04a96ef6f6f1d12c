/**
 * The small shared state of the S3 upload sessions, in MongoDB (or FerretDB), so every gateway
 * replica sees the same session:
 *   <prefix>oci_upload_sessions          one head per session: `_id` = id, repository, startedAt,
 *                                        `activeAt` (its last commit, for the expiry), and
 *                                        `latest`, the newest state version seen (a hint)
 *   <prefix>oci_upload_session_states    the session's states, `_id` = `<id>@<version>`: size,
 *                                        the multipart upload, its parts, the tail objects, sealed
 *   <prefix>oci_upload_links             `_id` = `<repository>@<digest>`: a link (sha256) or an
 *                                        alias (sha512, with the sha256 it names as `target`)
 *   <prefix>oci_upload_part_claims       `_id` = `<upload id>#<part number>`: the part numbers of a
 *                                        multipart upload some chunk has taken (see `claimPart`)
 *   <prefix>oci_upload_holders           `_id` = `<digest>@<repository>`: the links read the other
 *                                        way round, listed by `_id` range (see `holders`)
 *
 * Why a chain of state documents: a chunk is committed by a compare-and-set on the session's
 * state, and it must be atomic on FerretDB v1 too, which runs an update as a query followed by a
 * whole-document write (two updates filtered on the same version both "win"; see the header of
 * metadata-mongo). An insert into the unique `_id` is the one atomic conditional write both
 * servers offer, so committing state `v + 1` is inserting `<id>@<v+1>`: of two chunks racing
 * from state `v`, exactly one is committed. `latest` in the head only says where to start
 * looking (FerretDB's writes may even move it back): a read probes `<id>@<latest+1>`, ... until
 * one is missing. Reads are by `_id` only (FerretDB v1 uses no secondary index), but for the
 * expiry sweep and a session's removal, which scan.
 *
 * A commit prunes the versions before it (one full state per chunk would otherwise pile up) to
 * tombstones: `pruned`, without the parts and tails, but still holding their `_id` (and the
 * multipart upload, for `uploadIdsOf`). Deleting them would free `<id>@<v+1>` once the session
 * is two commits past `v`, and a chunk or seal still working from `v` (another replica) would
 * then win its insert: two writers from one state both committed. A reader that starts from a
 * tombstone (it read `latest` before the commit moved it, or a FerretDB write moved `latest`
 * back) probes on from it, so it always finds the current state; the tombstones go with the
 * session (`remove`).
 */
import type { Collection, MongoClient } from 'mongodb';
import { MongoConnectionOptions, connectMongo, translateMongoOutages } from '@wharf/adapters/mongo';

/** One uploaded part of the session's multipart upload. */
export interface RecordedPart {
  number: number;
  etag: string;
  size: number;
}

/** A session's state at one version. */
export interface SessionState {
  version: number;
  /** Bytes received: the parts' and the tail's. */
  size: number;
  /** The multipart upload holding the parts; null until the first part is needed. */
  uploadId: string | null;
  parts: RecordedPart[];
  /**
   * The objects holding the bytes after the last part (fewer than a part together), in order:
   * each small chunk adds one instead of rewriting the others. Empty when there are none.
   */
  tails: string[];
  tailSize: number;
  /** Opened to be finished: takes no more chunks, its bytes are (or are being made) one object. */
  sealed: boolean;
}

export interface SessionHead {
  id: string;
  repository: string;
  startedAt: Date;
}

interface HeadDocument {
  _id: string;
  repository: string;
  startedAt: Date;
  /** The session's last commit (or its start). */
  activeAt: Date;
  latest: number;
}

interface StateDocument extends Omit<SessionState, 'version' | 'parts' | 'tails'> {
  _id: string;
  session: string;
  version: number;
  /** Absent on a tombstone (`pruned`). */
  parts?: RecordedPart[];
  tails?: string[];
  /** A version a later commit superseded: kept only to hold its `_id` (see the header). */
  pruned?: boolean;
}

interface ClaimDocument {
  _id: string;
  session: string;
}

/** S3's highest part number. */
const MAX_PART_NUMBER = 10_000;

interface LinkDocument {
  _id: string;
  repository: string;
  /** For an alias, the sha256 hex it names. */
  target?: string;
}

/** A link (or alias) recorded by its digest first, so the repositories holding a digest are one `_id` range. */
interface HolderDocument {
  _id: string;
  repository: string;
}

/** The holders' marker that every link written before they were kept has its holder (`backfillHolders`). */
const BACKFILLED = '!backfilled';

const DUPLICATE_KEY = 11000;

export class MongoUploadRecords {
  private constructor(
    private readonly client: MongoClient,
    private readonly heads: Collection<HeadDocument>,
    private readonly states: Collection<StateDocument>,
    private readonly links: Collection<LinkDocument>,
    private readonly claims: Collection<ClaimDocument>,
    private readonly holderDocs: Collection<HolderDocument>,
  ) {}

  static async connect(options: MongoConnectionOptions): Promise<MongoUploadRecords> {
    return connectMongo(
      options,
      async ({ client, db, prefix }) =>
        new MongoUploadRecords(
          client,
          db.collection<HeadDocument>(`${prefix}oci_upload_sessions`),
          db.collection<StateDocument>(`${prefix}oci_upload_session_states`),
          db.collection<LinkDocument>(`${prefix}oci_upload_links`),
          db.collection<ClaimDocument>(`${prefix}oci_upload_part_claims`),
          db.collection<HolderDocument>(`${prefix}oci_upload_holders`),
        ),
    );
  }

  /** A new session at state 0 (empty). */
  async create(head: SessionHead): Promise<void> {
    await this.states.insertOne({ _id: `${head.id}@0`, session: head.id, ...EMPTY, version: 0 });
    await this.heads.insertOne({
      _id: head.id,
      repository: head.repository,
      startedAt: head.startedAt,
      activeAt: head.startedAt,
      latest: 0,
    });
  }

  async head(id: string): Promise<SessionHead | null> {
    const found = await this.heads.findOne({ _id: id });
    return found && { id, repository: found.repository, startedAt: found.startedAt };
  }

  /** The newest state of the session, or null when it has none (never created, or being removed). */
  async state(id: string): Promise<SessionState | null> {
    const head = await this.heads.findOne({ _id: id });
    if (!head) return null;
    // A tombstone when pruned since `latest` was read (or `latest` moved back): probed on from.
    let current = await this.states.findOne({ _id: `${id}@${head.latest}` });
    // Missing: the session is being removed (or its states predate the tombstones).
    current ??= await this.states.find({ session: id }).sort({ version: -1 }).limit(1).next();
    if (!current) return null;
    for (let version = current.version + 1; ; version++) {
      const next = await this.states.findOne({ _id: `${id}@${version}` });
      if (!next) break;
      current = next;
    }
    // The newest version is never a tombstone, unless the session's removal is under way.
    if (current.pruned) return null;
    const { version, size, uploadId, parts = [], tails = [], tailSize, sealed } = current;
    return { version, size, uploadId, parts, tails, tailSize, sealed };
  }

  /**
   * Commits `next` (whose version is the one after the state it was made from) and marks the
   * session active; false when another commit from that state came first (nothing written).
   * The versions before it are pruned to tombstones, which keep their `_id`: a commit from any
   * superseded state still finds its version taken (a failed prune is left to the next commit).
   */
  async commit(id: string, next: SessionState): Promise<boolean> {
    try {
      await this.states.insertOne({ _id: `${id}@${next.version}`, session: id, ...next });
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) return false;
      throw error;
    }
    await this.heads.updateOne({ _id: id }, { $max: { latest: next.version, activeAt: new Date() } });
    await this.states
      .updateMany(
        { session: id, version: { $lt: next.version }, pruned: { $ne: true } },
        { $set: { pruned: true }, $unset: { parts: '', tails: '' } },
      )
      .catch(() => undefined);
    return true;
  }

  /**
   * The multipart uploads the session's states name, tombstones included (for a removal to abort;
   * a state keeps its upload once set).
   */
  async uploadIdsOf(id: string): Promise<string[]> {
    const found = await this.states.find({ session: id }, { projection: { uploadId: 1 } }).toArray();
    return found.flatMap((state) => (state.uploadId ? [state.uploadId] : []));
  }

  /**
   * The first part number of the multipart upload from `from` on that no chunk has taken, taken
   * now (an exclusive insert, as `commit`). Two chunks racing from one state (two replicas) would
   * otherwise upload the same part number, and S3 keeps whichever came last: the committed chunk's
   * part could be the loser's bytes. Numbers a losing chunk took are skipped (S3 allows gaps).
   */
  async claimPart(id: string, uploadId: string, from: number): Promise<number> {
    for (let number = from; number <= MAX_PART_NUMBER; number++) {
      try {
        await this.claims.insertOne({ _id: `${uploadId}#${number}`, session: id });
        return number;
      } catch (error) {
        if ((error as { code?: unknown }).code !== DUPLICATE_KEY) throw error;
      }
    }
    throw new Error(`upload session ${id}: no part number left in its multipart upload`);
  }

  /** Removes the session's head (it is gone from then on), then its states and part claims. */
  async remove(id: string): Promise<boolean> {
    const removed = (await this.heads.deleteOne({ _id: id })).deletedCount > 0;
    await this.states.deleteMany({ session: id });
    await this.claims.deleteMany({ session: id });
    return removed;
  }

  /** The sessions whose last commit (or start) is before `before`. */
  async idleSince(before: Date): Promise<SessionHead[]> {
    const found = await this.heads.find({ activeAt: { $lt: before } }).toArray();
    return found.map((h) => ({ id: h._id, repository: h.repository, startedAt: h.startedAt }));
  }

  async putLink(repository: string, name: string, target?: string): Promise<void> {
    await this.links.replaceOne(
      { _id: `${repository}@${name}` },
      { repository, ...(target !== undefined ? { target } : {}) },
      { upsert: true },
    );
  }

  /** The link's document: `{}` for a link, `{target}` for an alias; null when there is none. */
  async getLink(repository: string, name: string): Promise<{ target?: string } | null> {
    const found = await this.links.findOne({ _id: `${repository}@${name}` });
    return found && (found.target !== undefined ? { target: found.target } : {});
  }

  async deleteLink(repository: string, name: string): Promise<boolean> {
    return (await this.links.deleteOne({ _id: `${repository}@${name}` })).deletedCount > 0;
  }

  /** Records that `repository` holds `name` (`sha256:<hex>` or `sha512:<hex>`). Idempotent. */
  async putHolder(name: string, repository: string): Promise<void> {
    await this.holderDocs.replaceOne({ _id: `${name}@${repository}` }, { repository }, { upsert: true });
  }

  async deleteHolder(name: string, repository: string): Promise<void> {
    await this.holderDocs.deleteOne({ _id: `${name}@${repository}` });
  }

  /**
   * Up to `limit` repositories recorded as holding `name`, by name, those after `after` (null:
   * from the first): one range of `_id`s (`<name>@` sorts before `<name>A`), read in its order, so
   * MongoDB reads `limit` index entries; FerretDB v1 filters the collection (see the header).
   */
  async holders(name: string, after: string | null, limit: number): Promise<string[]> {
    const found = await this.holderDocs
      .find({ _id: { $gt: `${name}@${after ?? ''}`, $lt: `${name}A` } })
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
    return found.map((holder) => holder.repository);
  }

  /**
   * Gives every link written before holders were kept its holder, once per database (a marker
   * says it was done; replicas starting together may each do it, to the same end). A link
   * removed meanwhile may leave its holder behind, which `holders`' callers check.
   */
  async backfillHolders(): Promise<void> {
    if (await this.holderDocs.findOne({ _id: BACKFILLED })) return;
    for await (const link of this.links.find({}))
      await this.putHolder(link._id.slice(link.repository.length + 1), link.repository);
    await this.holderDocs.replaceOne({ _id: BACKFILLED }, { repository: '' }, { upsert: true });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

const EMPTY: Omit<SessionState, 'version'> = {
  size: 0,
  uploadId: null,
  parts: [],
  tails: [],
  tailSize: 0,
  sealed: false,
};

translateMongoOutages(MongoUploadRecords);
