/**
 * OCI upload sessions on S3 multipart uploads (the distributed profile), so a session survives
 * the gateway that started it and any replica takes its next chunk. In the blob store's bucket:
 *   <prefix>oci-uploads/<id>/data          the session's multipart upload (parts of `partSize`),
 *                                         completed into this object when the session is opened
 *   <prefix>oci-uploads/<id>/tail-<uuid>  the bytes after the last whole part (fewer than a part)
 * and the state that ties them together (size, upload id, parts and their ETags, the tail, sealed)
 * in MongoDB (upload-session-records.ts), committed once per chunk by an atomic insert.
 *
 * S3 parts must be at least 5 MiB but the last, and an OCI chunk can be any size: a chunk is the
 * old tail followed by the chunk's bytes, cut into parts of `partSize` as they stream in
 * (PartReader, one part in memory at a time, uploaded one after the other); what is left after
 * the last whole part becomes the new tail object. So at most one part (default 8 MiB) of a
 * session is in the gateway's memory at once, and nothing is spilled to its disk. A client that
 * sends chunks smaller than a part makes every chunk rewrite the tail (up to a part) once more.
 *
 * All or nothing: a chunk's parts and tail are written first, then its state is committed; a
 * chunk that fails, passes the bound or loses the commit to another chunk leaves the committed
 * state as it was (its parts sit unreferenced in the upload, overwritten by the next chunk's,
 * its tail is deleted). Of two chunks racing from one state, one is committed and the other is an
 * UploadOffsetMismatchError. Each part number is claimed before its part is uploaded (an
 * exclusive insert, `claimPart`), so the loser's parts take other numbers than the winner's and
 * never overwrite them; the numbers it took are gaps in the upload, which S3 allows.
 *
 * `open` seals the session (a committed state that takes no more chunks), uploads the tail as the
 * last part and completes the multipart upload into `data`, then streams it; a session opened
 * again (another gateway, after a crash) streams `data`, completing it first if that did not
 * happen. A session of less than one part never had a multipart upload: its tail is its bytes.
 * Removal (delete, expire) aborts the upload and deletes every object under `oci-uploads/<id>/`
 * before the records, so a crash half-way leaves a session that the next expiry removes; a
 * crash mid-chunk can still leave an object or an open upload of a removed session behind, which
 * the bucket's lifecycle rule collects (AbortIncompleteMultipartUpload, expiry on `oci-uploads/`).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
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
import { isSha256Hex, isSha512Hex } from '@wharf/domain';
import {
  UploadOffsetMismatchError,
  UploadSession,
  UploadSessionNotFoundError,
  UploadSessionStore,
  UploadTooLargeError,
  translateOutages,
} from '@wharf/ports';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { MongoUploadRecords, RecordedPart, SessionHead, SessionState } from './upload-session-records';
import { SerialByKey } from '@wharf/collections';

const MiB = 1024 * 1024;

/** A chunk being written: the state it builds on, and the tail object it wrote. */
interface Chunk {
  base: SessionState;
  tail: string | null;
}
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
}

export class S3UploadSessionStore implements UploadSessionStore {
  private readonly serial = new SerialByKey();
  private readonly prefix: string;
  private readonly partSize: number;

  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly records: MongoUploadRecords,
    options: S3UploadSessionsOptions,
  ) {
    const prefix = options.s3.prefix ?? '';
    this.prefix = `${prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`}oci-uploads/`;
    this.partSize = options.partSize ?? 8 * MiB;
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
      return new S3UploadSessionStore(client, s3.bucket, records, options);
    } catch (error) {
      client.destroy();
      throw error;
    }
  }

  async start(repository: string): Promise<UploadSession> {
    const head: SessionHead = { id: randomUUID(), repository, startedAt: new Date() };
    await this.records.create(head);
    return { ...head, size: 0 };
  }

  async get(repository: string, id: string): Promise<UploadSession | null> {
    const found = await this.find(repository, id);
    return found && { ...found.head, size: found.state.size };
  }

  append(repository: string, id: string, offset: number, content: Readable, maxBytes: number): Promise<UploadSession> {
    return this.serial.run(id, async () => {
      const { head, state } = await this.require(repository, id);
      if (offset !== state.size) throw new UploadOffsetMismatchError(id, state.size, offset);
      const chunk: Chunk = { base: state, tail: null };
      try {
        const next = await this.write(id, chunk, content, maxBytes);
        if (!(await this.records.commit(id, next))) throw await this.lost(repository, id, offset);
        // The chunk is kept: an old tail that cannot be deleted now goes with the session.
        if (state.tail) await this.deleteObject(state.tail).catch(() => undefined);
        return { ...head, size: next.size };
      } catch (error) {
        content.destroy();
        if (chunk.tail) await this.deleteObject(chunk.tail).catch(() => undefined);
        // Another chunk committed meanwhile (its tail may be what this one failed to read): a mismatch.
        const now = await this.records.state(id);
        if (!(error instanceof UploadOffsetMismatchError) && now?.version !== chunk.base.version)
          throw await this.lost(repository, id, offset);
        throw error;
      }
    });
  }

  open(repository: string, id: string): Promise<Readable> {
    return this.serial.run(id, async () => {
      const found = await this.find(repository, id);
      if (!found) throw new UploadSessionNotFoundError(id);
      let state = found.state;
      while (!state.sealed) {
        const sealed = { ...state, version: state.version + 1, sealed: true };
        if (await this.records.commit(id, sealed)) state = sealed;
        else state = (await this.find(repository, id))?.state ?? raise(new UploadSessionNotFoundError(id));
      }
      return this.content(id, state);
    });
  }

  async delete(repository: string, id: string): Promise<boolean> {
    const head = ID.test(id) ? await this.records.head(id) : null;
    if (!head || head.repository !== repository) return false;
    return this.remove(id);
  }

  async link(repository: string, digest: string): Promise<void> {
    if (!isSha256Hex(digest)) throw new Error(`not a sha256 digest: ${digest}`);
    await this.records.putLink(repository, `sha256:${digest}`);
  }

  async linked(repository: string, digest: string): Promise<boolean> {
    return isSha256Hex(digest) && (await this.records.getLink(repository, `sha256:${digest}`)) !== null;
  }

  async unlink(repository: string, digest: string): Promise<boolean> {
    return isSha256Hex(digest) && this.records.deleteLink(repository, `sha256:${digest}`);
  }

  async linkAlias(repository: string, alias: string, digest: string): Promise<void> {
    if (!isAlias(alias)) throw new Error(`not a sha512 digest: ${alias}`);
    await this.link(repository, digest);
    await this.records.putLink(repository, alias, digest);
  }

  async resolveAlias(repository: string, alias: string): Promise<string | null> {
    if (!isAlias(alias)) return null;
    const target = (await this.records.getLink(repository, alias))?.target;
    return target !== undefined && isSha256Hex(target) ? target : null;
  }

  async unlinkAlias(repository: string, alias: string): Promise<boolean> {
    return isAlias(alias) && this.records.deleteLink(repository, alias);
  }

  async expire(before: Date): Promise<number> {
    let removed = 0;
    for (const head of await this.records.startedBefore(before)) if (await this.remove(head.id)) removed++;
    return removed;
  }

  async close(): Promise<void> {
    await this.serial.idle();
    await this.records.close();
    this.client.destroy();
  }

  // --- chunks ------------------------------------------------------------------------------

  /**
   * The state after `content`: the old tail and the chunk cut into whole parts (uploaded as they
   * fill; the first whole part of a session first commits its multipart upload, which becomes
   * `chunk.base`) and a new tail object (`chunk.tail`, known before the state is committed).
   */
  private async write(id: string, chunk: Chunk, content: Readable, maxBytes: number): Promise<SessionState> {
    const state = chunk.base;
    const oldTail = state.tail;
    const readTail = (key: string) => this.readObject(key);
    let size = state.size;
    // The old tail is read inside, so no reference outlives the part it goes into.
    const source = async function* () {
      if (oldTail) yield await readTail(oldTail);
      for await (const bytes of content) {
        size += (bytes as Buffer).length;
        if (size > maxBytes) throw new UploadTooLargeError(id, maxBytes);
        yield bytes as Buffer;
      }
    };
    const reader = new PartReader(Readable.from(source()));
    const parts: RecordedPart[] = [...state.parts];
    for (;;) {
      const { part, last } = await reader.next(this.partSize);
      if (part.length < this.partSize) {
        const tail = part.length > 0 ? `${this.sessionPrefix(id)}tail-${randomUUID()}` : null;
        if (tail) {
          chunk.tail = tail;
          await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: tail, Body: part }));
        }
        return { ...chunk.base, version: chunk.base.version + 1, size, parts, tail, tailSize: part.length };
      }
      if (chunk.base.uploadId === null) chunk.base = await this.withUpload(id, chunk.base);
      parts.push(await this.uploadPart(id, chunk.base.uploadId!, nextPartAfter(parts), part));
      if (last) return { ...chunk.base, version: chunk.base.version + 1, size, parts, tail: null, tailSize: 0 };
    }
  }

  /** The state with a multipart upload, committed before any part goes in, so a removal always finds it. */
  private async withUpload(id: string, state: SessionState): Promise<SessionState> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.dataKey(id) }),
    );
    const next = { ...state, version: state.version + 1, uploadId: created.UploadId! };
    if (await this.records.commit(id, next)) return next;
    await this.abort(id, created.UploadId!);
    throw new UploadOffsetMismatchError(id, (await this.records.state(id))?.size ?? state.size, state.size);
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
    if (state.parts.length === 0) return state.tail ? this.stream(state.tail) : Readable.from([]);
    if (!(await this.exists(this.dataKey(id)))) await this.complete(id, state);
    return this.stream(this.dataKey(id));
  }

  private async complete(id: string, state: SessionState): Promise<void> {
    const parts = [...state.parts];
    try {
      // The tail's part too: an opener that lost the race to complete finds the upload gone here.
      if (state.tail)
        parts.push(await this.uploadPart(id, state.uploadId!, nextPartAfter(parts), await this.readObject(state.tail)));
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

  private async remove(id: string): Promise<boolean> {
    const uploads = new Set(await this.records.uploadIdsOf(id));
    for (const uploadId of uploads) if (uploadId) await this.abort(id, uploadId);
    const prefix = this.sessionPrefix(id);
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) await this.deleteObject(object.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return this.records.remove(id);
  }

  private async abort(id: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.dataKey(id), UploadId: uploadId }),
      );
    } catch (error) {
      // Completed or aborted already.
      if ((error as { name?: string }).name !== 'NoSuchUpload') throw error;
    }
  }

  // --- helpers -------------------------------------------------------------------------------

  /** The session's head and newest state, when it is in `repository`. */
  private async find(repository: string, id: string): Promise<{ head: SessionHead; state: SessionState } | null> {
    if (!ID.test(id)) return null;
    const head = await this.records.head(id);
    if (!head || head.repository !== repository) return null;
    const state = await this.records.state(id);
    return state && { head, state };
  }

  /** A session that takes chunks: not sealed (being finished). */
  private async require(repository: string, id: string): Promise<{ head: SessionHead; state: SessionState }> {
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
