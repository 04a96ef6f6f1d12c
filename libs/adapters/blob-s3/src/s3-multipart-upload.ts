/**
 * The multipart upload engine of blob-s3: a stream of unknown length uploaded as parts (sizes
 * growing with the part count, so any blob up to S3's 5 TiB fits in 10,000 parts), with at most
 * `queueSize` parts in flight, CRC32 checksums the server verifies, and a digest check before the
 * upload is completed; and the server-side copy in parts of an object too large for CopyObject.
 *
 * Memory per upload: `queueSize` parts uploading plus one being filled (PartReader), plus, briefly,
 * the bodies of parts that just finished, whatever the blob's size. Every failure aborts the
 * upload; a crash can still leave one open (the bucket's lifecycle rule is the last resort).
 */
import {
  AbortMultipartUploadCommand,
  CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { BlobDigestMismatchError } from '@wharf/ports';
import type { PartReader } from './part-reader';
import { MAX_PARTS, MAX_SINGLE_REQUEST, NAME } from './s3-limits';

export interface S3MultipartOptions {
  /** First part size, at least 5 MiB; doubles every 1000 parts. */
  partSize: number;
  /** Parts uploaded concurrently. */
  queueSize: number;
  /** UploadPartCopy part size. */
  copyPartSize: number;
}

export class S3MultipartUploads {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: S3MultipartOptions,
  ) {}

  /**
   * Streams the rest of `reader` into a multipart upload of `key`, starting with `first`. With
   * `expectedDigest` the upload is completed only when the content hashes to it. Aborted on
   * every failure.
   */
  async upload(key: string, reader: PartReader, first: Buffer, expectedDigest: string | undefined): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        ContentType: 'application/octet-stream',
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    const upload = new PartQueue(this.client, this.bucket, key, created.UploadId!, this.options.queueSize);
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

  /**
   * Server-side copy of `size` bytes from `copySource` (`<bucket>/<key>`, URL-encoded) to `key`
   * with UploadPartCopy, for an object too large for CopyObject (5 GiB). Aborted on every failure.
   */
  async copy(copySource: string, key: string, size: number): Promise<void> {
    const partSize = Math.max(this.options.copyPartSize, Math.ceil(size / MAX_PARTS));
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/octet-stream' }),
    );
    const upload = new PartQueue(this.client, this.bucket, key, created.UploadId!, this.options.queueSize);
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, number = 1; start < size; start += partSize, number++) {
        const end = Math.min(start + partSize, size) - 1;
        const copied = await this.client.send(
          new UploadPartCopyCommand({
            Bucket: this.bucket,
            Key: key,
            UploadId: created.UploadId,
            PartNumber: number,
            CopySource: copySource,
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

  /** Parts grow with the part count (×2 every 1000 parts) so a stream of unknown length never runs out of parts. */
  partSizeFor(partNumber: number): number {
    return Math.min(MAX_SINGLE_REQUEST, this.options.partSize * 2 ** Math.floor((partNumber - 1) / 1000));
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

/** Refuses bytes that do not hash to the digest the caller announced. */
export function checkDigest(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) throw new BlobDigestMismatchError(expected, actual, NAME);
}
