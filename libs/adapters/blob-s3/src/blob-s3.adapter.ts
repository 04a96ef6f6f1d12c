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
 * The multipart uploads and copies are `S3MultipartUploads` (s3-multipart-upload.ts); memory per
 * streamed put is about (queueSize + 1) parts (default 3 × 8 MiB), whatever the blob's size. A
 * Buffer is sent as it is, without a copy.
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
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  BlobByteRange,
  BlobDigestMismatchError,
  BlobInfo,
  BlobNotFoundError,
  BlobStore,
  checkBlobByteRange,
  translateOutages,
} from '@wharf/ports';
import { PartReader, hashOnly, slices } from './part-reader';
import { MAX_SINGLE_REQUEST, MIN_PART_SIZE, MiB, NAME } from './s3-limits';
import { S3MultipartUploads, checkDigest } from './s3-multipart-upload';
import { isS3Outage } from './s3-outage';
import { S3UnframedBodyError, openObject } from './s3-object-stream';
import { S3ObjectUrls } from './s3-object-urls';
import { ensureBucket, s3ClientOf } from './s3-connection';

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
  /**
   * How long a streamed read (`open`) waits for S3's next bytes (its answer, then each part of
   * the body) before it fails with a TimeoutError. Default 30 s.
   */
  readTimeoutMs?: number;
}

/** How long the URL of a streamed read is valid: it is used at once, by this process. */
const OPEN_URL_EXPIRES_SECONDS = 60;

export class S3BlobStore implements BlobStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly maxCopyObjectSize: number;
  private readonly multipart: S3MultipartUploads;
  private readonly urls: S3ObjectUrls;
  private readonly readTimeoutMs: number;

  constructor(options: S3BlobStoreOptions) {
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new Error(`${NAME}: give both accessKeyId and secretAccessKey, or neither`);
    }
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix ?? '');
    this.partSize = options.partSize ?? 8 * MiB;
    const queueSize = options.queueSize ?? 2;
    this.maxCopyObjectSize = options.maxCopyObjectSize ?? MAX_SINGLE_REQUEST;
    const copyPartSize = options.copyPartSize ?? 512 * MiB;
    if (this.partSize < MIN_PART_SIZE || this.partSize > MAX_SINGLE_REQUEST) {
      throw new Error(`${NAME}: partSize must be between 5 MiB and 5 GiB`);
    }
    if (copyPartSize < MIN_PART_SIZE || copyPartSize > MAX_SINGLE_REQUEST) {
      throw new Error(`${NAME}: copyPartSize must be between 5 MiB and 5 GiB`);
    }
    if (!Number.isInteger(queueSize) || queueSize < 1) throw new Error(`${NAME}: queueSize must be a positive integer`);
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    if (!(this.readTimeoutMs > 0)) throw new Error(`${NAME}: readTimeoutMs must be positive`);
    this.client = s3ClientOf(options);
    this.urls = new S3ObjectUrls(this.client, this.bucket);
    this.multipart = new S3MultipartUploads(this.client, this.bucket, {
      partSize: this.partSize,
      queueSize,
      copyPartSize,
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
    await ensureBucket(this.client, this.bucket);
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

  /**
   * Over a plain-HTTP endpoint, a GET of its own connection read without the SDK (S3ObjectStream:
   * piped into an HTTP response, no allocation per chunk); over HTTPS, or from a server that
   * answers without a Content-Length (chunked), the SDK's GetObject body.
   * A range is S3's own (`Range: bytes=start-end`, answered 206): S3 sends only those bytes, and
   * its 416 for a start past the object's end is the port's RangeError.
   */
  async open(digest: string, range?: BlobByteRange): Promise<Readable> {
    if (range) checkBlobByteRange(range);
    if (!isSha256Hex(digest)) throw new BlobNotFoundError(digest, NAME);
    if ((await this.urls.protocol()) !== 'http:') return this.sdkStream(digest, range);
    const key = this.keyOf(digest);
    try {
      return await openObject(await this.urls.get(key, OPEN_URL_EXPIRES_SECONDS), key, this.readTimeoutMs, range);
    } catch (error) {
      // A server that sends bodies chunked: the SDK reads those.
      if (error instanceof S3UnframedBodyError) return this.sdkStream(digest, range);
      throw translatedReadError(error, digest, range);
    }
  }

  private async sdkStream(digest: string, range: BlobByteRange | undefined): Promise<Readable> {
    const body = await this.getBody(digest, range);
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
        const [, fanOut, digest] = /^([0-9a-f]{2})\/([0-9a-f]{64})$/.exec((object.Key ?? '').slice(base.length)) ?? [];
        if (!fanOut || !digest?.startsWith(fanOut)) continue;
        yield withStoredAt({ digest, size: object.Size ?? 0 }, object.LastModified);
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
      const first = await reader.next(this.multipart.partSizeFor(1));
      if (first.last) {
        const digest = reader.digest();
        checkDigest(expectedDigest, digest);
        return await this.putObject(digest, first.part);
      }
      if (expectedDigest !== undefined) {
        await this.multipart.upload(this.keyOf(expectedDigest), reader, first.part, expectedDigest);
        return { digest: expectedDigest, size: reader.size, storedAt: new Date() };
      }
      const temp = `${this.prefix}uploads/${randomUUID()}`;
      await this.multipart.upload(temp, reader, first.part, undefined);
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

  /** Copies a completed temporary object to its digest's key, then deletes it. */
  private async publish(temp: string, reader: PartReader): Promise<BlobInfo> {
    try {
      const info = { digest: reader.digest(), size: reader.size };
      if (info.size > this.maxCopyObjectSize) {
        await this.multipart.copy(this.copySource(temp), this.keyOf(info.digest), info.size);
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

  // --- helpers -----------------------------------------------------------------------------

  private async getBody(digest: string, range?: BlobByteRange) {
    if (!isSha256Hex(digest)) throw new BlobNotFoundError(digest, NAME);
    try {
      const got = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(digest),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!got.Body) throw new Error(`${NAME}: GetObject returned no body for ${digest}`);
      return got.Body;
    } catch (error) {
      throw translatedReadError(error, digest, range);
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
}

/** Without a Last-Modified, no storedAt at all: a made-up old time would invite the garbage collector. */
function withStoredAt(info: BlobInfo, lastModified: Date | undefined): BlobInfo {
  return lastModified ? { ...info, storedAt: lastModified } : info;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
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

/** A GET's failure in the port's terms: a missing key, a range past the object's end (416), or the error itself. */
function translatedReadError(error: unknown, digest: string, range: BlobByteRange | undefined): unknown {
  if (isNotFound(error)) return new BlobNotFoundError(digest, NAME);
  if (range && (statusOf(error) === 416 || nameOf(error) === 'InvalidRange'))
    return new RangeError(`${NAME}: blob ${digest} has no byte ${range.start}`);
  return error;
}

// S3's 429/5xx answers leave every method as the ports' DependencyUnavailableError (s3-outage.ts).
translateOutages(S3BlobStore, 'S3', isS3Outage);
