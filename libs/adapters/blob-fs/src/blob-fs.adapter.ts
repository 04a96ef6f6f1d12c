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
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobDigestMismatchError, BlobInfo, BlobNotFoundError, BlobStore } from '@wharf/ports';

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

  async open(digest: string): Promise<Readable> {
    const path = this.existingPath(digest);
    try {
      const handle = await fs.open(path, 'r');
      return handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
    } catch (error) {
      throw notFoundOr(error, digest);
    }
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
