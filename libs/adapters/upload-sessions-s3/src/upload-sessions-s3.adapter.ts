/**
 * OCI upload sessions on S3 multipart uploads (the distributed profile), so a session survives
 * the gateway that started it and any replica takes its next chunk. In the blob store's bucket:
 *   <prefix>oci-uploads/<id>/data          the session's multipart upload (parts of `partSize`),
 *                                         completed into this object when the session is opened
 *   <prefix>oci-uploads/<id>/tail-<uuid>  bytes after the last whole part (fewer than a part
 *                                         together, in one object or a few)
 * and the state that ties them together (size, upload id, parts and their ETags, the tails, sealed)
 * in MongoDB (upload-session-records.ts), committed once per chunk by an atomic insert. A session
 * is stored at its first chunk or seal, not at its start: until then its signed id is all there
 * is of it (session-ids.ts), so a monolithic push (POST, then PUT with the whole blob) costs the
 * blob, its link and the session's sealed head (then marked gone), and no S3 request but the blob's.
 *
 * S3 parts must be at least 5 MiB but the last, and an OCI chunk can be any size: a chunk that
 * fills a part is the old tails' bytes followed by the chunk's, cut into parts of `partSize` as
 * they stream in (PartReader, one part in memory at a time, uploaded one after the other), and
 * what is left after the last whole part becomes the new tail. So at most one part (default
 * 8 MiB) of a session is in the gateway's memory at once (the tails' bytes, `heldBytes`, beyond
 * the chunk's own), and nothing is spilled to its disk. A chunk that does not fill a part is
 * one more tail object, the others left as they are, so small chunks cost their own bytes, not a
 * rewrite of the tail each (cost quadratic in the chunks); past `MAX_TAILS` tail objects they are
 * written again as one (a client sending tiny chunks pays a part's rewrite every `MAX_TAILS`
 * chunks). `minChunkBytes` (a part) is advertised as `OCI-Chunk-Min-Length`, which clients that
 * follow the distribution spec honour for every chunk but the last.
 *
 * All or nothing: a chunk's parts and tail are written first, then its state is committed; a
 * chunk that fails, passes the bound or loses the commit to another chunk leaves the committed
 * state as it was (its parts sit unreferenced in the upload, overwritten by the next chunk's,
 * its tail is deleted). Of two chunks racing from one state, one is committed and the other is an
 * UploadOffsetMismatchError. Each part number is claimed before its part is uploaded (an
 * exclusive insert, `claimPart`), so the loser's parts take other numbers than the winner's and
 * never overwrite them; the numbers it took are gaps in the upload, which S3 allows.
 *
 * `open` and `seal` seal the session (a committed state that takes no more chunks; `seal` only
 * once, to the caller whose commit made it, so two replicas never both finish it), `open` then uploads the tail as the
 * last part and completes the multipart upload into `data`, then streams it; a session opened
 * again (another gateway, after a crash) streams `data`, completing it first if that did not
 * happen. A session of less than one part never had a multipart upload: its tail is its bytes.
 * Removal (delete, expire) aborts the upload and deletes every object under `oci-uploads/<id>/`
 * before the records, so a crash half-way leaves a session that the next expiry removes; a
 * crash mid-chunk can still leave an object or an open upload of a removed session behind, which
 * the expiry sweeps: besides idle sessions, it aborts the multipart uploads and deletes the
 * objects under `oci-uploads/` older than its instant whose session is gone (ListMultipartUploads,
 * ListObjectsV2). A bucket lifecycle rule would do the same on AWS S3, but Versity S3 Gateway
 * answers PutBucketLifecycleConfiguration with 501 NotImplemented, so the adapter does not rely
 * on one.

 *
 * Links and aliases are MongoDB documents too, each with a holder record keyed by its digest
 * first (`holders`, a mount that names no repository). Links written before holders were kept
 * get theirs when a store first connects to the database (`backfillHolders`, once: a scan of the
 * links); a link an older gateway writes after that has none until it is written again, so its
 * blob is only not found by digest.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type _Object,
} from '@aws-sdk/client-s3';
import {
  MIN_PART_SIZE,
  PartReader,
  type S3ConnectionOptions,
  ensureBucket,
  isS3Outage,
  s3ClientOf,
} from '@wharf/adapters/blob-s3';
import type { MongoConnectionOptions } from '@wharf/adapters/mongo';
import { isSha256Hex, isSha512Hex, ociDigestOrNull } from '@wharf/domain';
import {
  assertHoldersLimit,
  UploadOffsetMismatchError,
  UploadSession,
  UploadSessionNotFoundError,
  UploadSessionStore,
  UploadTooLargeError,
  translateOutages,
} from '@wharf/ports';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  EMPTY_STATE,
  MongoUploadRecords,
  RecordedPart,
  SessionHead,
  SessionState,
  StoredHead,
} from './upload-session-records';
import { SessionIds } from './session-ids';
import { SerialByKey } from '@wharf/collections';

const MiB = 1024 * 1024;

/**
 * Tail objects a session may have before a chunk writes them again as one: enough that small
 * chunks rarely rewrite, few enough that the state document and the reads that build a part stay small.
 */
export const MAX_TAILS = 32;

/** A chunk being written: the state it builds on, and the tail object it wrote. */
interface Chunk {
  base: SessionState;
  tail: string | null;
}

/** A session as found: its head, its newest state, and whether it has records (else it held nothing yet). */
interface Found {
  head: SessionHead;
  state: SessionState;
  stored: boolean;
}

/**
 * How far the replicas' clocks may disagree: a tombstone is kept that much longer than `maxAgeMs`,
 * so no replica still takes its id for a new session once it is dropped.
 */
const CLOCK_SKEW_MS = 5 * 60_000;

/** How long a session may stay unfinished, unless the caller says (the gateway's WHARF_OCI_UPLOAD_MAX_AGE_SECONDS). */
const DEFAULT_MAX_AGE_MS = 24 * 3600_000;

export interface S3UploadSessionsOptions {
  /** The bucket (the blob store's) and how to reach it. */
  s3: S3ConnectionOptions & {
    bucket: string;
    /** Key prefix ('' or ending in '/'); the sessions live under `<prefix>oci-uploads/`. */
    prefix?: string;
  };
  /** Where the sessions' state and the repositories' links are kept. */
  mongo: MongoConnectionOptions;
  /** Part size, at least 5 MiB (S3's smallest part but the last): the most a chunk holds in memory. Default 8 MiB. */
  partSize?: number;
  /**
   * How long a session that holds nothing names a session (its id is all there is of it): the
   * expiry's age, which every replica must be given alike. Default 24 h.
   */
  maxAgeMs?: number;
  /** The clock (the system's unless a test sets it): session ids' starts and the age are read on it. */
  now?: () => Date;
}

export class S3UploadSessionStore implements UploadSessionStore {
  private readonly serial = new SerialByKey();
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly maxAgeMs: number;
  private readonly now: () => Date;
  /** Sessions that hold nothing and started before this are gone (the latest `expire` here). */
  private horizon = new Date(0);
  /** A part: a chunk of at least that many bytes never adds a tail object of its own but its rest. */
  readonly minChunkBytes: number;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly records: MongoUploadRecords,
    private readonly ids: SessionIds,
    options: S3UploadSessionsOptions,
  ) {
    const prefix = options.s3.prefix ?? '';
    this.prefix = `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}oci-uploads/`;
    this.partSize = options.partSize ?? 8 * MiB;
    this.minChunkBytes = this.partSize;
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
    this.now = options.now ?? (() => new Date());
  }

  /** A store on the bucket (created when missing) and the MongoDB collections. */
  static async connect(options: S3UploadSessionsOptions): Promise<S3UploadSessionStore> {
    const partSize = options.partSize ?? 8 * MiB;
    if (!Number.isInteger(partSize) || partSize < MIN_PART_SIZE)
      throw new Error('upload-sessions-s3: partSize must be at least 5 MiB');
    const { s3 } = options;
    const client = s3ClientOf(s3);
    try {
      await ensureBucket(client, s3.bucket);
      const records = await MongoUploadRecords.connect(options.mongo);
      try {
        await records.backfillHolders();
        const ids = new SessionIds(await records.sessionIdKey());
        return new S3UploadSessionStore(client, s3.bucket, records, ids, options);
      } catch (error) {
        await records.close();
        throw error;
      }
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  /** Stores nothing: the id carries the session until its first chunk or its seal (session-ids.ts). */
  async start(repository: string): Promise<UploadSession> {
    const startedAt = this.now();
    return { id: this.ids.issue(repository, startedAt), repository, startedAt, size: 0 };
  }

  async get(repository: string, id: string): Promise<UploadSession | null> {
    const found = await this.find(repository, id);
    return found && { ...found.head, size: found.state.size };
  }

  async heldBytes(repository: string, id: string): Promise<number> {
    return (await this.find(repository, id))?.state.tailSize ?? 0;
  }

  append(repository: string, id: string, offset: number, content: Readable, maxBytes: number): Promise<UploadSession> {
    return this.serial.run(id, async () => {
      let found = await this.require(repository, id);
      if (offset !== found.state.size) throw new UploadOffsetMismatchError(id, found.state.size, offset);
      // Its first chunk stores the session (a seal or a cancel at another replica may come first).
      if (!found.stored) {
        await this.records.create(found.head, this.now());
        found = await this.require(repository, id);
        if (offset !== found.state.size) throw new UploadOffsetMismatchError(id, found.state.size, offset);
      }
      const { head, state } = found;
      const chunk: Chunk = { base: state, tail: null };
      try {
        const next = await this.write(id, chunk, content, maxBytes);
        if (!(await this.records.commit(id, next))) throw await this.lost(repository, id, offset);
        // The chunk is kept: an old tail that cannot be deleted now goes with the session.
        for (const tail of state.tails)
          if (!next.tails.includes(tail)) await this.deleteObject(tail).catch(() => undefined);
        return { ...head, size: next.size };
      } catch (error) {
        content.destroy();
        if (chunk.tail) await this.deleteObject(chunk.tail).catch(() => undefined);
        // Another chunk committed meanwhile (its tail may be what this one failed to read): a mismatch.
        const now = await this.records.current(id);
        if (!(error instanceof UploadOffsetMismatchError) && now?.version !== chunk.base.version)
          throw await this.lost(repository, id, offset);
        throw error;
      }
    });
  }

  open(repository: string, id: string): Promise<Readable> {
    return this.serial.run(id, async () => this.content(id, (await this.sealed(repository, id)).state));
  }

  seal(repository: string, id: string): Promise<UploadSession> {
    return this.serial.run(id, async () => {
      const { head, state, sealedHere } = await this.sealed(repository, id);
      if (!sealedHere) throw new UploadSessionNotFoundError(id);
      return { ...head, size: state.size };
    });
  }

  /**
   * The session's state once sealed, and whether this call sealed it. The seal is a committed
   * state like a chunk's (an exclusive insert of the next version): of a seal and a chunk racing
   * from one state, at any replicas, one is committed and the other builds on it or is refused.
   * A session that holds nothing is sealed by storing its head sealed (`sealEmpty`, also an
   * exclusive insert, tried before any read: a whole-blob PUT's one write to the session).
   */
  private async sealed(
    repository: string,
    id: string,
  ): Promise<{ head: SessionHead; state: SessionState; sealedHere: boolean }> {
    const fresh = this.freshHead(repository, id);
    if (fresh && (await this.records.sealEmpty(fresh, this.now())))
      return { head: fresh, state: { ...EMPTY_STATE, sealed: true }, sealedHere: true };
    const found = await this.find(repository, id);
    if (!found) throw new UploadSessionNotFoundError(id);
    if (!found.stored) {
      // Stored by nobody yet (an id of the earlier format never gets here): seal it as above.
      if (await this.records.sealEmpty(found.head, this.now()))
        return { head: found.head, state: { ...EMPTY_STATE, sealed: true }, sealedHere: true };
      return this.sealed(repository, id);
    }
    let state = found.state;
    let sealedHere = false;
    while (!state.sealed) {
      const sealed = { ...state, version: state.version + 1, sealed: true };
      if (await this.records.commit(id, sealed)) [state, sealedHere] = [sealed, true];
      else state = (await this.find(repository, id))?.state ?? raise(new UploadSessionNotFoundError(id));
    }
    return { head: found.head, state, sealedHere };
  }

  /**
   * Removal keeps the session's head as a tombstone (`gone`), so its id, which would otherwise name
   * a new empty session, names none until it is past the age (`expire` drops it then). A session
   * that held nothing gets one (`forget`); one sealed empty is marked gone; one with chunks has
   * its parts and objects removed too.
   */
  async delete(repository: string, id: string): Promise<boolean> {
    const parsed = this.ids.read(repository, id);
    if (!parsed) return false;
    const head = await this.records.head(id);
    if (!head) {
      const fresh = this.freshHead(repository, id);
      if (!fresh) return false;
      return (await this.records.forget(fresh, this.now())) || this.delete(repository, id);
    }
    if (head.repository !== repository || head.gone) return false;
    return this.remove(head);
  }

  async link(repository: string, digest: string): Promise<void> {
    if (!isSha256Hex(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    await this.records.putLink(repository, `sha256:${digest}`);
    await this.records.putHolder(`sha256:${digest}`, repository);
  }

  async linked(repository: string, digest: string): Promise<boolean> {
    return isSha256Hex(digest) && (await this.records.getLink(repository, `sha256:${digest}`)) !== null;
  }

  async unlink(repository: string, digest: string): Promise<boolean> {
    if (!isSha256Hex(digest)) return false;
    await this.records.deleteHolder(`sha256:${digest}`, repository);
    return this.records.deleteLink(repository, `sha256:${digest}`);
  }

  async linkAlias(repository: string, alias: string, digest: string): Promise<void> {
    if (!isAlias(alias)) throw new Error(`not a sha512 digest: ${alias}`);
    await this.link(repository, digest);
    await this.records.putLink(repository, alias, digest);
    await this.records.putHolder(alias, repository);
  }

  async resolveAlias(repository: string, alias: string): Promise<string | null> {
    if (!isAlias(alias)) return null;
    const target = (await this.records.getLink(repository, alias))?.target;
    return target !== undefined && isSha256Hex(target) ? target : null;
  }

  async unlinkAlias(repository: string, alias: string): Promise<boolean> {
    if (!isAlias(alias)) return false;
    await this.records.deleteHolder(alias, repository);
    return this.records.deleteLink(repository, alias);
  }

  /**
   * In the order of the repositories' names. A holder is written after its link and removed
   * before it, and one whose link is gone (a crash between, or a link racing an unlink) is
   * skipped; holders are read a page of `limit` at a time until `limit` hold the digest.
   */
  async holders(digest: string, limit: number): Promise<string[]> {
    assertHoldersLimit(limit);
    if (ociDigestOrNull(digest) === null) return [];
    const found: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await this.records.holders(digest, after, limit);
      for (const repository of page)
        if (found.length < limit && (await this.records.getLink(repository, digest)) !== null) found.push(repository);
      if (found.length === limit || page.length < limit) return found;
      after = page.at(-1)!;
    }
  }

  /**
   * Sessions that hold nothing have no record to remove: from now on this store takes none started
   * before `before` (every gateway sweeps, so every replica's horizon follows its age), and every
   * store none older than `maxAgeMs`. Tombstones go once their ids are older than that and the
   * clocks' skew (`pastAge`, the rule `freshHead` applies, on the start the id carries).
   */
  async expire(before: Date): Promise<number> {
    if (before > this.horizon) this.horizon = before;
    let removed = 0;
    for (const head of await this.records.idleSince(before)) {
      if (!head.gone && (await this.remove(head))) removed++;
      else if (head.removing) await this.removeRecorded(head);
    }
    await this.dropTombstones();
    await this.sweepStrays(before);
    return removed;
  }

  /**
   * Drops the tombstones whose ids no store takes any more. The heads' `startedAt` (a copy of the
   * id's start) only picks the candidates: the id itself decides, by the rule that refuses it.
   */
  private async dropTombstones(): Promise<void> {
    const candidates = await this.records.goneStartedBefore(this.ageLimit(CLOCK_SKEW_MS));
    const past = candidates.filter(({ repository, id }) => {
      const parsed = this.ids.read(repository, id);
      // An id of the earlier format (or none this key signed) never names a new session.
      return !parsed?.signed || this.pastAge(parsed.startedAt, CLOCK_SKEW_MS);
    });
    await this.records.dropGone(past.map((head) => head.id));
  }

  async close(): Promise<void> {
    await this.serial.idle();
    await this.records.close();
    this.client.destroy();
  }

  // --- chunks ------------------------------------------------------------------------------

  /**
   * The state after `content`. A chunk that fills no part is one more tail object (or, past
   * `MAX_TAILS`, the tails and the chunk written again as one). Otherwise the tails' bytes and the
   * chunk are cut into whole parts (uploaded as they fill; the first whole part of a session first
   * commits its multipart upload, which becomes `chunk.base`) and what is left is the new tail
   * (`chunk.tail`, known before the state is committed).
   */
  private async write(id: string, chunk: Chunk, content: Readable, maxBytes: number): Promise<SessionState> {
    const state = chunk.base;
    let size = state.size;
    const counted = async function* () {
      for await (const bytes of content) {
        size += (bytes as Buffer).length;
        if (size > maxBytes) throw new UploadTooLargeError(id, maxBytes);
        yield bytes as Buffer;
      }
    };
    const reader = new PartReader(Readable.from(counted()));
    const parts: RecordedPart[] = [...state.parts];
    const next = (tails: string[], tailSize: number): SessionState => ({
      ...chunk.base,
      version: chunk.base.version + 1,
      size,
      parts,
      tails,
      tailSize,
    });
    const room = this.partSize - state.tailSize;
    let { part, last } = await reader.next(room);
    if (part.length < room) {
      if (part.length === 0) return next(state.tails, state.tailSize);
      if (state.tails.length < MAX_TAILS)
        return next([...state.tails, await this.putTail(id, chunk, part)], state.tailSize + part.length);
      const merged = Buffer.concat([await this.readTails(state.tails), part]);
      return next([await this.putTail(id, chunk, merged)], merged.length);
    }
    if (state.tailSize > 0) part = Buffer.concat([await this.readTails(state.tails), part]);
    for (;;) {
      if (chunk.base.uploadId === null) chunk.base = await this.withUpload(id, chunk.base);
      parts.push(await this.uploadPart(id, chunk.base.uploadId!, nextPartAfter(parts), part));
      if (last) return next([], 0);
      ({ part, last } = await reader.next(this.partSize));
      if (part.length < this.partSize)
        return part.length > 0 ? next([await this.putTail(id, chunk, part)], part.length) : next([], 0);
    }
  }

  /** Writes `bytes` as a new tail object of the session, recorded in `chunk` for a failure to delete. */
  private async putTail(id: string, chunk: Chunk, bytes: Buffer): Promise<string> {
    const key = `${this.sessionPrefix(id)}tail-${randomUUID()}`;
    chunk.tail = key;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes }));
    return key;
  }

  /** The tails' bytes, in order (fewer than a part). */
  private async readTails(tails: readonly string[]): Promise<Buffer> {
    const read: Buffer[] = [];
    for (const tail of tails) read.push(await this.readObject(tail));
    return Buffer.concat(read);
  }

  /** The state with a multipart upload, committed before any part goes in, so a removal always finds it. */
  private async withUpload(id: string, state: SessionState): Promise<SessionState> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.dataKey(id) }),
    );
    const next = { ...state, version: state.version + 1, uploadId: created.UploadId! };
    if (await this.records.commit(id, next)) return next;
    await this.abort(id, created.UploadId!);
    throw new UploadOffsetMismatchError(id, (await this.records.current(id))?.size ?? state.size, state.size);
  }

  /** Uploads `body` as the first part number from `from` on that no other chunk has taken. */
  private async uploadPart(id: string, uploadId: string, from: number, body: Buffer): Promise<RecordedPart> {
    const number = await this.records.claimPart(id, uploadId, from);
    const sent = await this.client.send(
      new UploadPartCommand({
        Bucket: this.bucket,
        Key: this.dataKey(id),
        UploadId: uploadId,
        PartNumber: number,
        Body: body,
        ContentLength: body.length,
      }),
    );
    return { number, etag: sent.ETag!, size: body.length };
  }

  /** Why a chunk from `offset` was not committed: another chunk was (a mismatch), or the session is gone or sealed. */
  private async lost(repository: string, id: string, offset: number): Promise<Error> {
    const found = await this.find(repository, id);
    return found && !found.state.sealed
      ? new UploadOffsetMismatchError(id, found.state.size, offset)
      : new UploadSessionNotFoundError(id);
  }

  // --- sealed sessions -----------------------------------------------------------------------

  /** The bytes of a sealed session: its tail alone, or the completed multipart upload. */
  private async content(id: string, state: SessionState): Promise<Readable> {
    if (state.parts.length === 0) {
      const tails = state.tails;
      const stream = (key: string) => this.stream(key);
      return Readable.from(
        (async function* () {
          for (const tail of tails) yield* await stream(tail);
        })(),
      );
    }
    if (!(await this.exists(this.dataKey(id)))) await this.complete(id, state);
    return this.stream(this.dataKey(id));
  }

  private async complete(id: string, state: SessionState): Promise<void> {
    const parts = [...state.parts];
    try {
      // The tail's part too: an opener that lost the race to complete finds the upload gone here.
      if (state.tails.length > 0)
        parts.push(await this.uploadPart(id, state.uploadId!, nextPartAfter(parts), await this.readTails(state.tails)));
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.dataKey(id),
          UploadId: state.uploadId!,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag })) },
        }),
      );
    } catch (error) {
      // Completed meanwhile by another opener of the same session.
      if (!(await this.exists(this.dataKey(id)))) throw error;
    }
  }

  // --- removal -------------------------------------------------------------------------------

  /**
   * Marks the session gone, then removes what its chunks left (its multipart upload, its objects,
   * its states): a crash half-way leaves it `removing`, which the expiry finishes. A session that
   * never took a chunk (sealed empty) has nothing but its head. False when it was gone already.
   */
  private async remove(head: StoredHead): Promise<boolean> {
    const chunked = !head.sealed;
    if (!(await this.records.markGone(head.id, chunked))) return false;
    // Read after the mark (from the head as it was); an upload a chunk commits later is the stray sweep's.
    if (chunked) await this.removeRecorded(head, (await this.records.state(head))?.uploadId ?? null);
    // An id of the earlier format never names a new session: its head need not stay.
    if (!this.ids.read(head.repository, head.id)?.signed) await this.records.drop(head.id);
    return true;
  }

  /** Removes the multipart upload, objects and states of a session marked gone. */
  private async removeRecorded(head: StoredHead, uploadId: string | null = null): Promise<void> {
    if (uploadId) await this.abort(head.id, uploadId);
    for await (const object of this.objectsUnder(this.sessionPrefix(head.id))) await this.deleteObject(object.Key!);
    await this.records.removed(head.id);
  }

  /**
   * Aborts the multipart uploads and deletes the objects under the sessions' prefix older than
   * `before` whose session is gone: what a crash left behind while a session was being removed
   * (or a chunk of a removed session). A live session's own are kept, however old.
   */
  private async sweepStrays(before: Date): Promise<void> {
    const gone = new Map<string, boolean>();
    const isGone = async (key: string) => {
      const id = key.slice(this.prefix.length).split('/')[0]!;
      if (!gone.has(id)) gone.set(id, !SessionIds.isId(id) || ((await this.records.head(id))?.gone ?? true));
      return gone.get(id)!;
    };
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: this.prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? [])
        if (upload.Initiated && upload.Initiated < before && (await isGone(upload.Key!)))
          await this.abortUpload(upload.Key!, upload.UploadId!);
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    for await (const object of this.objectsUnder(this.prefix))
      if (object.LastModified && object.LastModified < before && (await isGone(object.Key!)))
        await this.deleteObject(object.Key!);
  }

  /** The bucket's objects under `prefix`, a listing page at a time. */
  private async *objectsUnder(prefix: string): AsyncGenerator<_Object> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      yield* page.Contents ?? [];
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async abort(id: string, uploadId: string): Promise<void> {
    return this.abortUpload(this.dataKey(id), uploadId);
  }

  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (error) {
      // Completed or aborted already.
      if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /**
   * The session's head and newest state, when it is in `repository`: from its records, or, when
   * it has none, from its id (a new empty session, unless it is past the age).
   */
  private async find(repository: string, id: string): Promise<Found | null> {
    const parsed = this.ids.read(repository, id);
    if (!parsed) return null;
    const head = await this.records.head(id);
    if (!head) {
      const fresh = this.freshHead(repository, id);
      return fresh && { head: fresh, state: EMPTY_STATE, stored: false };
    }
    if (head.repository !== repository) return null;
    const state = await this.records.state(head);
    return state && { head, state, stored: true };
  }

  /** The head a signed id of `repository` carries, unless the session is past the age (or this store's last expiry). */
  private freshHead(repository: string, id: string): SessionHead | null {
    const parsed = this.ids.read(repository, id);
    if (!parsed?.signed) return null;
    const { startedAt } = parsed;
    if (startedAt < this.horizon || this.pastAge(startedAt)) return null;
    return { id, repository, startedAt };
  }

  /**
   * The one rule of the age: a session that started at `startedAt` (as its id says) is refused by
   * every store from `maxAgeMs` on, and by every store whose clock is `slack` behind from
   * `maxAgeMs + slack` on (when its tombstone may go).
   */
  private pastAge(startedAt: Date, slack = 0): boolean {
    return startedAt < this.ageLimit(slack);
  }

  /** Sessions that started before this are past the age, `slack` later. */
  private ageLimit(slack: number): Date {
    return new Date(this.now().getTime() - this.maxAgeMs - slack);
  }

  /** A session that takes chunks: not sealed (being finished). */
  private async require(repository: string, id: string): Promise<Found> {
    const found = await this.find(repository, id);
    if (!found || found.state.sealed) throw new UploadSessionNotFoundError(id);
    return found;
  }

  private async readObject(key: string): Promise<Buffer> {
    const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  private async stream(key: string): Promise<Readable> {
    const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const body = got.Body!;
    return body instanceof Readable ? body : Readable.from(body as AsyncIterable<Uint8Array>);
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw error;
    }
  }

  private async deleteObject(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  private sessionPrefix(id: string): string {
    return `${this.prefix}${id}/`;
  }

  private dataKey(id: string): string {
    return `${this.sessionPrefix(id)}data`;
  }
}

function isAlias(alias: string): boolean {
  return alias.startsWith('sha512:') && isSha512Hex(alias.slice('sha512:'.length));
}

function raise(error: Error): never {
  throw error;
}

// S3's 429/5xx answers leave every method as the ports' DependencyUnavailableError; MongoDB's are
// translated by the records.
translateOutages(S3UploadSessionStore, 'S3', isS3Outage);

/** Where a chunk's next part number starts: after the highest the state holds (numbers may skip). */
function nextPartAfter(parts: readonly RecordedPart[]): number {
  return (parts.at(-1)?.number ?? 0) + 1;
}
