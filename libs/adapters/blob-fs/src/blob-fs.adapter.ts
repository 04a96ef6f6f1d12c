/**
 * Blobs on the local filesystem, content-addressed:
 *   <root>/sha256/<first two hex>/<hex>   a complete blob, never modified
 *   <root>/uploads/<random>               a blob being written
 * A blob is written to uploads/, hashed on the way, fsynced, then renamed into place, so a
 * reader never sees a partial file and a crash leaves at most a stray upload, which
 * `sweepUploads` removes at the next start.
 */
import { isSha256Hex } from '@wharf/domain';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobByteRange,
  BlobDigestMismatchError,
  BlobInfo,
  BlobNotFoundError,
  BlobStore,
  checkBlobByteRange,
} from '@wharf/ports';

const NAME = 'blob-fs';

/**
 * Bytes per read of a streamed blob: fewer reads and stream chunks than the default 64 KiB for
 * the large blobs that are streamed (small ones are served from memory by the blob cache), at
 * most this much buffered per download in flight.
 */
const READ_CHUNK_BYTES = 256 * 1024;

export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  async put(content: Buffer | Readable, expectedDigest?: string): Promise<BlobInfo> {
    const uploads = join(this.root, 'uploads');
    await fs.mkdir(uploads, { recursive: true });
    const temp = join(uploads, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    try {
      const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temp, { flags: 'wx' }),
      );
      const digest = hash.digest('hex');
      if (expectedDigest !== undefined && expectedDigest !== digest) {
        throw new BlobDigestMismatchError(expectedDigest, digest, NAME);
      }
      const target = this.pathOf(digest);
      if (await exists(target)) {
        await fs.rm(temp, { force: true });
        const now = new Date();
        await fs.utimes(target, now, now);
        return { digest, size, storedAt: now };
      }
      await fsyncFile(temp);
      await fs.mkdir(dirname(target), { recursive: true });
      await fs.rename(temp, target);
      await fsyncFile(dirname(target));
      return { digest, size, storedAt: new Date() };
    } catch (error) {
      await fs.rm(temp, { force: true });
      throw error;
    }
  }

  async open(digest: string, range?: BlobByteRange): Promise<Readable> {
    if (range) checkBlobByteRange(range);
    const path = this.existingPath(digest);
    let handle: FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (error) {
      throw notFoundOr(error, digest);
    }
    if (!range) return new FileBlobStream(handle, 0, Infinity);
    try {
      const { size } = await handle.stat();
      if (range.start >= size)
        throw new RangeError(`${NAME}: blob ${digest} has no byte ${range.start} (size ${size})`);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return new FileBlobStream(handle, range.start, range.end + 1);
  }

  async read(digest: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.existingPath(digest));
    } catch (error) {
      throw notFoundOr(error, digest);
    }
  }

  async stat(digest: string): Promise<BlobInfo | null> {
    if (!isSha256Hex(digest)) return null;
    try {
      const info = await fs.stat(this.pathOf(digest));
      return { digest, size: info.size, storedAt: info.mtime };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(digest: string): Promise<boolean> {
    if (!isSha256Hex(digest)) return false;
    try {
      await fs.unlink(this.pathOf(digest));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    const base = join(this.root, 'sha256');
    for (const prefix of await readdirOrEmpty(base)) {
      for (const digest of await readdirOrEmpty(join(base, prefix))) {
        if (!isSha256Hex(digest)) continue;
        const info = await this.stat(digest);
        if (info) yield info;
      }
    }
  }

  /**
   * Deletes the uploads last written before `olderThan`: what a crash left in uploads/ (a put in
   * progress removes its own file when it fails). Called at start, with the blob collector's
   * grace period, so no upload still being written is taken. Answers how many were deleted.
   */
  async sweepUploads(olderThan: Date): Promise<number> {
    const uploads = join(this.root, 'uploads');
    let deleted = 0;
    for (const name of await readdirOrEmpty(uploads)) {
      const path = join(uploads, name);
      const info = await fs.stat(path).catch(() => null);
      if (!info?.isFile() || info.mtime >= olderThan) continue;
      await fs.rm(path, { force: true });
      deleted++;
    }
    return deleted;
  }

  async close(): Promise<void> {}

  private pathOf(digest: string): string {
    return join(this.root, 'sha256', digest.slice(0, 2), digest);
  }

  /** Validates the digest first, so no caller can make it a path outside the store. */
  private existingPath(digest: string): string {
    if (!isSha256Hex(digest)) throw new BlobNotFoundError(digest, NAME);
    return this.pathOf(digest);
  }
}

/**
 * A stored blob's bytes, read from its file in chunks of READ_CHUNK_BYTES. Read as any stream, each
 * chunk is a new buffer. Piped into an HTTP response (how a download is sent), it reads into two
 * buffers it reuses, each only once the response has handed the bytes written from it to the
 * socket (the write's callback): a download then allocates nothing per chunk, where a new buffer
 * per chunk (outside the JS heap) made the garbage collector run a full collection every few
 * downloads. Into any other destination (which may keep the chunks) it pipes as streams do.
 */
class FileBlobStream extends Readable {
  /** `position` is the next byte read; `limit` the first byte not sent (a range's end + 1, or Infinity). */
  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly limit: number,
  ) {
    super({ highWaterMark: READ_CHUNK_BYTES });
  }

  /** How many bytes the next read asks for: a chunk, or what is left of the range (0 at its end). */
  private nextReadBytes(): number {
    return Math.min(READ_CHUNK_BYTES, this.limit - this.position);
  }

  override _read(): void {
    const buffer = Buffer.allocUnsafeSlow(READ_CHUNK_BYTES);
    this.handle.read(buffer, 0, this.nextReadBytes(), this.position).then(
      ({ bytesRead }) => {
        this.position += bytesRead;
        this.push(bytesRead === 0 ? null : buffer.subarray(0, bytesRead));
      },
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.handle.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    if (!(destination instanceof ServerResponse) || options?.end === false || this.readableDidRead)
      return super.pipe(destination, options);
    void this.sendTo(destination);
    return destination;
  }

  /** Writes the rest of the file into `response` from two reused buffers, then ends both. */
  private async sendTo(response: ServerResponse): Promise<void> {
    const buffers = [Buffer.allocUnsafeSlow(READ_CHUNK_BYTES), Buffer.allocUnsafeSlow(READ_CHUNK_BYTES)];
    // The write of the other buffer; this one's (two reads ago) was awaited before it was issued.
    let written: Promise<void> = Promise.resolve();
    try {
      for (let i = 0; ; i++) {
        const buffer = buffers[i % 2]!;
        const { bytesRead } = await this.handle.read(buffer, 0, this.nextReadBytes(), this.position);
        await written;
        if (this.destroyed || response.destroyed) return;
        if (bytesRead === 0) break;
        this.position += bytesRead;
        const chunk = buffer.subarray(0, bytesRead);
        written = new Promise((resolve, reject) => {
          response.write(chunk, (error) => (error ? reject(error) : resolve()));
        });
        void written.catch(() => undefined); // awaited above; marked handled for when a read fails first
      }
      response.end();
      this.push(null);
      this.resume(); // 'end', then 'close' (the file is closed), as after a pipe
    } catch (error) {
      // A response closed early is not the file's error: the stream is destroyed as a pipe's source is.
      this.destroy(response.destroyed ? undefined : (error as Error));
    }
  }
}

function notFoundOr(error: unknown, digest: string): Error {
  return (error as NodeJS.ErrnoException).code === 'ENOENT' ? new BlobNotFoundError(digest, NAME) : (error as Error);
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.access(path);
    return true;
  } catch {
    return false;
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readdirOrEmpty(path: string): Promise<string[]> {
  try {
    return await fs.readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
