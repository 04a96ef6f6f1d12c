/**
 * Blobs in an S3 bucket (the distributed profile), content-addressed like blob-fs:
 *   <prefix>sha256/<first two hex>/<hex>   a complete blob
 *   <prefix>uploads/<uuid>                 a streamed blob whose digest was not known up front
 *
 * S3 writes are atomic (PutObject, CompleteMultipartUpload and CopyObject publish the whole
 * object or nothing), so a reader never sees a partial blob. `storedAt` from stat and list is the
 * object's Last-Modified (server clock, whole seconds; put answers with its own clock), so every
 * put writes the final key, also when the same bytes are
 * already there: an atomic overwrite with identical bytes, which is what refreshes Last-Modified
 * (a metadata-only self-copy does not on every server: Versity's posix backend keeps the file's
 * mtime). Don't enable bucket versioning for the store's prefix, or expire noncurrent versions.
 * `put` takes one of three routes:
 *
 *  - digest known before the upload starts (a Buffer, or a stream no longer than one part):
 *    PutObject to the final key with `ChecksumSHA256`, so the server verifies what it stored;
 *  - a longer stream with `expectedDigest`: a multipart upload straight to the final key, hashed
 *    on the way; aborted on a mismatch (nothing was ever visible), completed otherwise;
 *  - a longer stream without a digest: a multipart upload to `<prefix>uploads/<uuid>`, then a
 *    server-side copy to the final key (CopyObject up to 5 GiB, UploadPartCopy beyond), then the
 *    temporary object is deleted.
 *
 * Memory per streamed put: `queueSize` parts uploading plus one being filled (default 3 × 8 MiB),
 * plus, briefly, the bodies of parts that just finished, whatever the blob's size. A Buffer is
 * sent as it is, without a copy. Parts carry CRC32 checksums the server verifies.
 *
 * Multipart uploads are aborted on any failure; a crash can still leave an open upload or an
 * `uploads/` object behind, so give the bucket a lifecycle rule (AbortIncompleteMultipartUpload,
 * and expiration on `<prefix>uploads/`, e.g. after a day).
 */
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isSha256Hex } from '@wharf/domain';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { BlobDigestMismatchError, BlobInfo, BlobNotFoundError, BlobStore } from '@wharf/ports';

const NAME = 'blob-s3';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3 limits: smallest non-last part, most parts, largest part / PutObject / CopyObject. */
const MIN_PART_SIZE = 5 * MiB;
const MAX_PARTS = 10_000;
const MAX_SINGLE_REQUEST = 5 * GiB;

export interface S3BlobStoreOptions {
  /** e.g. http://127.0.0.1:7070; omit for AWS. */
  endpoint?: string;
  region: string;
  /** Static credentials; omit both for the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  bucket: string;
  /** Key prefix of the store inside the bucket ('' or ending in '/'; a missing '/' is added). */
  prefix?: string;
  /** Path-style addressing (required by most self-hosted servers). Default true. */
  forcePathStyle?: boolean;
  /** Multipart part size, at least 5 MiB. Default 8 MiB. Doubles every 1000 parts, so any blob up to S3's 5 TiB fits. */
  partSize?: number;
  /** Parts uploaded concurrently per put (memory: about (queueSize + 1) × partSize). Default 2. */
  queueSize?: number;
  /** Largest object moved with one CopyObject; larger ones use UploadPartCopy. Default 5 GiB (the S3 limit). */
  maxCopyObjectSize?: number;
  /** UploadPartCopy part size. Default 512 MiB. */
  copyPartSize?: number;
  /** SDK attempts per request (retries on throttling, 5xx and network errors). SDK default 3. */
  maxAttempts?: number;
}

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly maxCopyObjectSize: number;
  private readonly copyPartSize: number;

  constructor(options: S3BlobStoreOptions) {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new Error(`${NAME}: give both accessKeyId and secretAccessKey, or neither`);
    }
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.partSize = options.partSize ?? 8 * MiB;
    this.queueSize = options.queueSize ?? 2;
    this.maxCopyObjectSize = options.maxCopyObjectSize ?? MAX_SINGLE_REQUEST;
    this.copyPartSize = options.copyPartSize ?? 512 * MiB;
    if (this.partSize < MIN_PART_SIZE || this.partSize > MAX_SINGLE_REQUEST) {
      throw new Error(`${NAME}: partSize must be between 5 MiB and 5 GiB`);
    }
    if (this.copyPartSize < MIN_PART_SIZE || this.copyPartSize > MAX_SINGLE_REQUEST) {
      throw new Error(`${NAME}: copyPartSize must be between 5 MiB and 5 GiB`);
    }
    if (!Number.isInteger(this.queueSize) || this.queueSize < 1)
      throw new Error(`${NAME}: queueSize must be a positive integer`);
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? true,
      maxAttempts: options.maxAttempts,
      credentials:
        options.accessKeyId !== undefined && options.secretAccessKey !== undefined
          ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
          : undefined,
    });
  }

  /** A store whose bucket exists (created when missing). */
  static async create(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const store = new S3BlobStore(options);
    try {
      await store.init();
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Creates the bucket when it does not exist. Idempotent, safe to race. */
  async init(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (nameOf(error) !== 'BucketAlreadyOwnedByYou') throw error;
    }
  }

  async put(content: Buffer | Readable, expectedDigest?: string): Promise<BlobInfo> {
    if (Buffer.isBuffer(content)) {
      const digest = sha256Hex(content);
      checkDigest(expectedDigest, digest);
      if (content.length <= MAX_SINGLE_REQUEST) return this.putObject(digest, content);
      return this.putStream(Readable.from(slices(content, this.partSize)), digest);
    }
    return this.putStream(content, expectedDigest);
  }

  async open(digest: string): Promise<Readable> {
    const body = await this.getBody(digest);
    return body instanceof Readable ? body : Readable.from(body as AsyncIterable<Uint8Array>);
  }

  async read(digest: string): Promise<Buffer> {
    const body = await this.getBody(digest);
    const bytes = await body.transformToByteArray();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    if (!isSha256Hex(digest)) return null;
    const head = await this.head(this.keyOf(digest));
    return head && withStoredAt({ digest, size: head.ContentLength ?? 0 }, head.LastModified);
  }

  /** A presigned GET of the blob's key, signed locally (no request to S3 beyond the HEAD). */
  async downloadUrl(digest: string, expiresSeconds: number): Promise<string | null> {
    if (!isSha256Hex(digest) || (await this.head(this.keyOf(digest))) === null) return null;
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest) }), {
      expiresIn: expiresSeconds,
    });
  }

  async delete(digest: string): Promise<boolean> {
    if (!isSha256Hex(digest)) return false;
    const key = this.keyOf(digest);
    // DeleteObject succeeds whether or not the key exists, so ask first.
    if ((await this.head(key)) === null) return false;
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    return true;
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = `${this.prefix}sha256/`;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const match = /^([0-9a-f]{2})\/([0-9a-f]{64})$/.exec((object.Key ?? '').slice(base.length));
        if (!match || !match[2].startsWith(match[1])) continue;
        yield withStoredAt({ digest: match[2], size: object.Size ?? 0 }, object.LastModified);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  // --- put ---------------------------------------------------------------------------------

  private async putStream(source: Readable, expectedDigest: string | undefined): Promise<BlobInfo> {
    try {
      // An invalid announced digest can only mismatch, and must never become a key.
      if (expectedDigest !== undefined && !isSha256Hex(expectedDigest)) {
        throw new BlobDigestMismatchError(expectedDigest, (await hashOnly(source)).digest, NAME);
      }
      const reader = new PartReader(source);
      const first = await reader.next(this.partSizeFor(1));
      if (first.last) {
        const digest = reader.digest();
        checkDigest(expectedDigest, digest);
        return await this.putObject(digest, first.part);
      }
      if (expectedDigest !== undefined) {
        await this.uploadParts(this.keyOf(expectedDigest), reader, first.part, expectedDigest);
        return { digest: expectedDigest, size: reader.size, storedAt: new Date() };
      }
      const temp = `${this.prefix}uploads/${randomUUID()}`;
      await this.uploadParts(temp, reader, first.part, undefined);
      return await this.publish(temp, reader);
    } catch (error) {
      source.destroy();
      throw error;
    }
  }

  /** PutObject to the final key; the server checks the SHA-256 of what it stored. */
  private async putObject(digest: string, body: Buffer): Promise<BlobInfo> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(digest),
        Body: body,
        ContentLength: body.length,
        ContentType: 'application/octet-stream',
        ChecksumSHA256: Buffer.from(digest, 'hex').toString('base64'),
      }),
    );
    return { digest, size: body.length, storedAt: new Date() };
  }

  /**
   * Streams the rest of `reader` into a multipart upload of `key`, starting with `first`. With
   * `expectedDigest` the upload is completed only when the content hashes to it. Aborted on
   * every failure.
   */
  private async uploadParts(
    key: string,
    reader: PartReader,
    first: Buffer,
    expectedDigest: string | undefined,
  ): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: 'application/octet-stream',
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const upload = new PartQueue(this.client, this.bucket, key, created.UploadId!, this.queueSize);
    try {
      let next = { part: first, last: false };
      for (let number = 1; ; number++) {
        if (number > MAX_PARTS) throw new Error(`${NAME}: blob exceeds ${MAX_PARTS} parts`);
        await upload.add(number, next.part);
        if (next.last) break;
        next = await reader.next(this.partSizeFor(number + 1));
      }
      const parts = await upload.finish();
      checkDigest(expectedDigest, reader.digest());
      await upload.complete(parts);
    } catch (error) {
      await upload.abort();
      throw error;
    }
  }

  /** Copies a completed temporary object to its digest's key, then deletes it. */
  private async publish(temp: string, reader: PartReader): Promise<BlobInfo> {
    try {
      const info = { digest: reader.digest(), size: reader.size };
      if (info.size > this.maxCopyObjectSize) {
        await this.copyInParts(temp, info);
        return { ...info, storedAt: new Date() };
      }
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: this.keyOf(info.digest), CopySource: this.copySource(temp) }),
      );
      return { ...info, storedAt: new Date() };
    } finally {
      // On success the blob is stored, on failure the caller gets the copy's error: either way a
      // temp object that could not be deleted only costs space (the lifecycle rule expires it).
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: temp })).catch(() => undefined);
    }
  }

  /** Server-side copy of an object too large for CopyObject (5 GiB), with UploadPartCopy. */
  private async copyInParts(temp: string, info: { digest: string; size: number }): Promise<void> {
    const key = this.keyOf(info.digest);
    const partSize = Math.max(this.copyPartSize, Math.ceil(info.size / MAX_PARTS));
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' }),
    );
    const upload = new PartQueue(this.client, this.bucket, key, created.UploadId!, this.queueSize);
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, number = 1; start < info.size; start += partSize, number++) {
        const end = Math.min(start + partSize, info.size) - 1;
        const copied = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: created.UploadId,
            PartNumber: number,
            CopySource: this.copySource(temp),
            CopySourceRange: `bytes=${start}-${end}`,
          }),
        );
        parts.push({ PartNumber: number, ETag: copied.CopyPartResult?.ETag });
      }
      await upload.complete(parts);
    } catch (error) {
      await upload.abort();
      throw error;
    }
  }

  // --- helpers -----------------------------------------------------------------------------

  private async getBody(digest: string) {
    if (!isSha256Hex(digest)) throw new BlobNotFoundError(digest, NAME);
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest) }));
      if (!got.Body) throw new Error(`${NAME}: GetObject returned no body for ${digest}`);
      return got.Body;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(digest, NAME);
      throw error;
    }
  }

  private async head(key: string): Promise<HeadObjectCommandOutput | null> {
    try {
      return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** The key of a digest; callers validate it first, this re-checks so nothing escapes the prefix. */
  private keyOf(digest: string): string {
    if (!isSha256Hex(digest)) throw new Error(`${NAME}: not a sha256 digest`);
    return `${this.prefix}sha256/${digest.slice(0, 2)}/${digest}`;
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Parts grow with the part count (×2 every 1000 parts) so a stream of unknown length never runs out of parts. */
  private partSizeFor(partNumber: number): number {
    return Math.min(MAX_SINGLE_REQUEST, this.partSize * 2 ** Math.floor((partNumber - 1) / 1000));
  }
}

/** The parts of one multipart upload: at most `limit` uploading at a time, aborted as a whole. */
class PartQueue {
  private readonly parts: CompletedPart[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly limit: number,
  ) {}

  /** Starts uploading a part; resolves once there is room for the next one. */
  async add(number: number, body: Buffer): Promise<void> {
    this.throwIfFailed();
    const task: Promise<void> = this.client
      .send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          PartNumber: number,
          Body: body,
          ContentLength: body.length,
          ChecksumAlgorithm: 'CRC32',
        }),
      )
      .then(
        (result) => {
          this.parts[number - 1] = { PartNumber: number, ETag: result.ETag, ChecksumCRC32: result.ChecksumCRC32 };
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => this.inflight.delete(task));
    this.inflight.add(task);
    while (this.inflight.size >= this.limit && !this.failure) await Promise.race(this.inflight);
    this.throwIfFailed();
  }

  /** Waits for every part; the list to complete the upload with. */
  async finish(): Promise<CompletedPart[]> {
    await Promise.all(this.inflight);
    this.throwIfFailed();
    return this.parts;
  }

  async complete(parts: CompletedPart[]): Promise<void> {
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }

  /** Waits for parts still uploading (a part finishing after the abort could outlive it), then aborts. */
  async abort(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }),
      );
    } catch {
      // Already completed or aborted (NoSuchUpload), or the server is gone: the lifecycle rule
      // for incomplete uploads is the last resort; the caller's error matters more.
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** Cuts a byte stream into parts of a requested size, hashing every byte on the way. */
class PartReader {
  size = 0;
  private readonly hash = createHash('sha256');
  private readonly chunks: AsyncIterator<unknown>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;
  private hex: string | undefined;

  constructor(source: Readable) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /**
   * The next `length` bytes, or fewer when the stream ends; `last` when nothing follows. Reads
   * one byte past the part first, so a last part is never empty (except for an empty stream).
   */
  async next(length: number): Promise<{ part: Buffer; last: boolean }> {
    while (this.pendingBytes <= length && !this.ended) {
      const { done, value } = await this.chunks.next();
      if (done) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(value);
      if (chunk.length === 0) continue;
      this.hash.update(chunk);
      this.size += chunk.length;
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const part = this.take(Math.min(length, this.pendingBytes));
    return { part, last: this.ended && this.pendingBytes === 0 };
  }

  /** The sha256 of every byte read; call once the stream is done. */
  digest(): string {
    this.hex ??= this.hash.digest('hex');
    return this.hex;
  }

  /** Cuts `length` bytes off the pending chunks: no copy when the first chunk holds them all. */
  private take(length: number): Buffer {
    const head = this.pending[0];
    let part: Buffer;
    if (head && head.length >= length) {
      part = head.subarray(0, length);
      this.pending[0] = head.subarray(length);
    } else {
      part = Buffer.allocUnsafe(length);
      let offset = 0;
      while (offset < length) {
        const chunk = this.pending[0];
        const n = Math.min(chunk.length, length - offset);
        chunk.copy(part, offset, 0, n);
        offset += n;
        this.pending[0] = chunk.subarray(n);
        if (this.pending[0].length === 0) this.pending.shift();
      }
    }
    if (this.pending[0]?.length === 0) this.pending.shift();
    this.pendingBytes -= length;
    return part;
  }
}

async function hashOnly(source: Readable): Promise<BlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const value of source) {
    const chunk = toBuffer(value);
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: hash.digest('hex'), size };
}

/** Without a Last-Modified, no storedAt at all: a made-up old time would invite the garbage collector. */
function withStoredAt(info: BlobInfo, lastModified: Date | undefined): BlobInfo {
  return lastModified ? { ...info, storedAt: lastModified } : info;
}

function checkDigest(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) throw new BlobDigestMismatchError(expected, actual, NAME);
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value);
  throw new TypeError(`${NAME}: the stream yielded a ${typeof value}, not bytes`);
}

function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

function normalizePrefix(prefix: string): string {
  if (prefix === '' || prefix.endsWith('/')) return prefix;
  return `${prefix}/`;
}

function nameOf(error: unknown): string | undefined {
  return (error as { name?: string } | null)?.name;
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** A missing key (HeadObject answers a bare 404, GetObject NoSuchKey); not a missing bucket or upload. */
function isNotFound(error: unknown): boolean {
  const name = nameOf(error);
  if (name === 'NoSuchBucket' || name === 'NoSuchUpload') return false;
  return name === 'NotFound' || name === 'NoSuchKey' || statusOf(error) === 404;
}
