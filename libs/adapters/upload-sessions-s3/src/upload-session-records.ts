/**
 * The small shared state of the S3 upload sessions, in MongoDB (or FerretDB), so every gateway
 * replica sees the same session:
 *   <prefix>oci_upload_sessions          one head per session that holds something (a chunk, a
 *                                        seal) or has ended: `_id` = id, repository, startedAt,
 *                                        `activeAt` (its last commit or its storing, for the
 *                                        expiry), `latest`,
 *                                        the newest state version seen (a hint), `sealed` (sealed
 *                                        while empty: no states), `gone` (a tombstone) and
 *                                        `removing` (gone, its states and objects not yet removed)
 *   <prefix>oci_upload_session_states    the session's states, `_id` = `<id>@<version>`: size,
 *                                        the multipart upload, its parts, the tail objects, sealed
 *   <prefix>oci_upload_links             `_id` = `<repository>@<digest>`: a link (sha256) or an
 *                                        alias (sha512, with the sha256 it names as `target`)
 *   <prefix>oci_upload_part_claims       `_id` = `<upload id>#<part number>`: the part numbers of a
 *                                        multipart upload some chunk has taken (see `claimPart`)
 *   <prefix>oci_upload_holders           `_id` = `<digest>@<repository>`: the links read the other
 *                                        way round, listed by `_id` range (see `holders`)
 *   <prefix>oci_upload_keys              `_id` = `session-ids`: the key that signs session ids
 *
 * A session that holds nothing has no record: its id carries its repository and start, signed
 * (session-ids.ts), so a POST writes nothing. Its first chunk stores its head (`create`), a seal
 * stores it sealed (`sealEmpty`), a cancel stores it gone (`forget`), each one exclusive insert,
 * so whichever comes first decides. From then on the head decides, and a head stays, `gone`, after
 * the session ends, until the id is past the age no store takes it at (`goneStartedBefore`):
 * an id with no head would otherwise name a new empty session again. A monolithic push (POST,
 * then a PUT with the whole blob) costs `_id` reads, the sealed head's insert and its update to
 * gone.
 *
 * Why a chain of state documents: a chunk is committed by a compare-and-set on the session's
 * state, and it must be atomic on FerretDB v1 too, which runs an update as a query followed by a
 * whole-document write (two updates filtered on the same version both "win"; see the header of
 * metadata-mongo). An insert into the unique `_id` is the one atomic conditional write both
 * servers offer, so committing state `v + 1` is inserting `<id>@<v+1>`: of two chunks racing
 * from state `v`, exactly one is committed. State 0 (empty) has no document. `latest` in the
 * head only says where to start looking (FerretDB's writes may even move it back): a read probes
 * `<id>@<latest+1>`, ... until one is missing. Reads and writes are by `_id` only (FerretDB v1
 * uses no secondary index), but for the expiry sweep and the removal of a session that took
 * chunks, which scan.
 *
 * A commit prunes the version before it (one full state per chunk would otherwise pile up) to a
 * tombstone: `pruned`, without the parts and tails, but still holding its `_id`. Deleting it
 * would free `<id>@<v+1>` once the session is two commits past `v`, and a chunk or seal still
 * working from `v` (another replica) would then win its insert: two writers from one state both
 * committed. A reader that starts from a tombstone (it read `latest` before the commit moved it,
 * or a FerretDB write moved `latest` back) probes on from it, so it always finds the current
 * state; the tombstones go with the session (`removed`).
 */
import { randomBytes } from 'node:crypto';
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

/** A session's head as stored: where its states are, and whether it ended. */
export interface StoredHead extends SessionHead {
  /** The newest state version seen (a hint: see the header). */
  latest: number;
  /** Sealed while it held nothing: it has no states, and never will. */
  sealed: boolean;
  /** Finished, cancelled or expired: a tombstone, so that its id never names a new session again. */
  gone: boolean;
  /** Gone, and its states, parts and objects not yet all removed (a crash half-way): the sweep removes them. */
  removing: boolean;
}

interface HeadDocument {
  _id: string;
  repository: string;
  startedAt: Date;
  /** The session's last commit (or when its head was stored). */
  activeAt: Date;
  latest: number;
  sealed?: boolean;
  gone?: boolean;
  removing?: boolean;
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

interface KeyDocument {
  _id: string;
  /** base64. */
  key: string;
}

const DUPLICATE_KEY = 11000;

function storedHeadOf(found: HeadDocument): StoredHead {
  return {
    id: found._id,
    repository: found.repository,
    startedAt: found.startedAt,
    latest: found.latest,
    sealed: found.sealed === true,
    gone: found.gone === true,
    removing: found.removing === true,
  };
}

export class MongoUploadRecords {
  private constructor(
    private readonly client: MongoClient,
    private readonly heads: Collection<HeadDocument>,
    private readonly states: Collection<StateDocument>,
    private readonly links: Collection<LinkDocument>,
    private readonly claims: Collection<ClaimDocument>,
    private readonly holderDocs: Collection<HolderDocument>,
    private readonly keys: Collection<KeyDocument>,
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
          db.collection<KeyDocument>(`${prefix}oci_upload_keys`),
        ),
    );
  }

  /**
   * The key that signs session ids (session-ids.ts), the same for every replica: made by the
   * first store to connect (an exclusive insert; a store that loses the race reads the winner's).
   */
  async sessionIdKey(): Promise<Buffer> {
    const found = await this.keys.findOne({ _id: 'session-ids' });
    if (found) return Buffer.from(found.key, 'base64');
    const key = randomBytes(32);
    if (await this.insertOnce(this.keys, { _id: 'session-ids', key: key.toString('base64') })) return key;
    return this.sessionIdKey();
  }

  /**
   * Stores the head of a session that held nothing until now (its first chunk, at `now`, which is
   * its `activeAt`: a chunk that starts near the age is not idle to another replica's sweep while
   * it is written), at state 0, which has no document: the first commit inserts `<id>@1`. False
   * when it had one already (another chunk, a seal or a removal came first; nothing written).
   */
  async create(head: SessionHead, now: Date): Promise<boolean> {
    return this.insertOnce(this.heads, { _id: head.id, ...headFields(head, now), latest: 0 });
  }

  /**
   * Seals a session that held nothing, at `now`, with no state at all (one exclusive insert of its
   * head): false when it had a head already (a chunk, another seal or a removal came first).
   */
  async sealEmpty(head: SessionHead, now: Date): Promise<boolean> {
    return this.insertOnce(this.heads, { _id: head.id, ...headFields(head, now), latest: 0, sealed: true });
  }

  /** Records a session that held nothing as gone (its cancel, at `now`); false when it had a head already. */
  async forget(head: SessionHead, now: Date): Promise<boolean> {
    return this.insertOnce(this.heads, { _id: head.id, ...headFields(head, now), latest: 0, gone: true });
  }

  async head(id: string): Promise<StoredHead | null> {
    const found = await this.heads.findOne({ _id: id });
    return found && storedHeadOf(found);
  }

  /** The newest state of the session `head` names, or null when it has none (gone, or being removed). */
  async state(head: StoredHead): Promise<SessionState | null> {
    if (head.gone) return null;
    if (head.sealed) return { ...EMPTY_STATE, sealed: true };
    const { id } = head;
    // A tombstone when pruned since `latest` was read (or `latest` moved back): probed on from.
    let current: StateDocument | null = await this.states.findOne({ _id: `${id}@${head.latest}` });
    // State 0 of a session stored at its first chunk has no document. Another one missing: the
    // session is being removed.
    if (!current && head.latest === 0) current = { _id: `${id}@0`, session: id, ...EMPTY_STATE };
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

  /** The newest state of session `id`, or null (no head, or gone). */
  async current(id: string): Promise<SessionState | null> {
    const head = await this.head(id);
    return head && this.state(head);
  }

  /**
   * Commits `next` (whose version is the one after the state it was made from) and marks the
   * session active; false when another commit from that state came first (nothing written).
   * The version before it is pruned to a tombstone, which keeps its `_id`: a commit from any
   * superseded state still finds its version taken (a failed prune leaves a full state, which
   * only costs its size).
   */
  async commit(id: string, next: SessionState): Promise<boolean> {
    if (!(await this.insertOnce(this.states, { _id: `${id}@${next.version}`, session: id, ...next }))) return false;
    await this.heads.updateOne({ _id: id }, { $max: { latest: next.version, activeAt: new Date() } });
    await this.states
      .updateOne({ _id: `${id}@${next.version - 1}` }, { $set: { pruned: true }, $unset: { parts: '', tails: '' } })
      .catch(() => undefined);
    return true;
  }

  /**
   * The first part number of the multipart upload from `from` on that no chunk has taken, taken
   * now (an exclusive insert, as `commit`). Two chunks racing from one state (two replicas) would
   * otherwise upload the same part number, and S3 keeps whichever came last: the committed chunk's
   * part could be the loser's bytes. Numbers a losing chunk took are skipped (S3 allows gaps).
   */
  async claimPart(id: string, uploadId: string, from: number): Promise<number> {
    for (let number = from; number <= MAX_PART_NUMBER; number++)
      if (await this.insertOnce(this.claims, { _id: `${uploadId}#${number}`, session: id })) return number;
    throw new Error(`upload session ${id}: no part number left in its multipart upload`);
  }

  /**
   * Marks the session gone (from then on no request finds it, and its id names no new session);
   * with `removing` when its states, parts and objects are still to be removed (`removed`).
   * False when it was gone already.
   */
  async markGone(id: string, removing: boolean): Promise<boolean> {
    const marked = await this.heads.updateOne(
      { _id: id, gone: { $ne: true } },
      { $set: { gone: true, ...(removing ? { removing: true } : {}) } },
    );
    return marked.matchedCount > 0;
  }

  /**
   * Removes the states and part claims of a session marked gone (they are found by `session`,
   * the one place these records scan: the removal of a session that received chunks).
   */
  async removed(id: string): Promise<void> {
    await this.states.deleteMany({ session: id });
    await this.claims.deleteMany({ session: id });
    await this.heads.updateOne({ _id: id }, { $unset: { removing: '' } });
  }

  /** Removes a head, the tombstone of a session whose id no store takes any more. */
  async drop(id: string): Promise<void> {
    await this.heads.deleteOne({ _id: id });
  }

  /**
   * The tombstones (gone, their removal done) whose head says they started before `before`: the
   * candidates the sweep drops, once their ids say so too (the adapter's `pastAge` decides).
   */
  async goneStartedBefore(before: Date): Promise<SessionHead[]> {
    const found = await this.heads
      .find(
        { gone: true, removing: { $ne: true }, startedAt: { $lt: before } },
        { projection: { repository: 1, startedAt: 1 } },
      )
      .toArray();
    return found.map((h) => ({ id: h._id, repository: h.repository, startedAt: h.startedAt }));
  }

  /** Removes the tombstones `ids` (still gone, their removal done): sessions whose ids no store takes any more. */
  async dropGone(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.heads.deleteMany({ _id: { $in: [...ids] }, gone: true, removing: { $ne: true } });
  }

  /** The heads whose last commit (or start) is before `before`: live sessions, tombstones, and removals left half-way. */
  async idleSince(before: Date): Promise<StoredHead[]> {
    const found = await this.heads.find({ activeAt: { $lt: before } }).toArray();
    return found.map(storedHeadOf);
  }

  /** Inserts `document`; false when its `_id` was taken (the one atomic conditional write on both servers). */
  private async insertOnce<T extends { _id: string }>(collection: Collection<T>, document: T): Promise<boolean> {
    try {
      await collection.insertOne(document as Parameters<Collection<T>['insertOne']>[0]);
      return true;
    } catch (error) {
      if ((error as { code?: unknown }).code === DUPLICATE_KEY) return false;
      throw error;
    }
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

function headFields(head: SessionHead, now: Date): Omit<HeadDocument, '_id' | 'latest'> {
  return { repository: head.repository, startedAt: head.startedAt, activeAt: now };
}

/** A session's state before its first chunk: nothing stored, not sealed. */
export const EMPTY_STATE: SessionState = {
  version: 0,
  size: 0,
  uploadId: null,
  parts: [],
  tails: [],
  tailSize: 0,
  sealed: false,
};

translateMongoOutages(MongoUploadRecords);
