/**
 * A BlobStore in front of another one that keeps small blobs in memory. Blobs are
 * content-addressed and never modified, so a cached blob is the stored blob for as long as it
 * is stored: the only way it can go stale is a delete, and a delete through this store drops it
 * first. (A delete through another process, such as the blob service's collector in the
 * distributed profile, is not seen here; it only removes blobs no release references, and reads
 * go through a release, so those bytes are not served again.)
 *
 * `read` is served from memory when the blob is cached; a miss reads through and keeps the
 * bytes when the cache admits their size, and concurrent misses of one digest share one read.
 * `open` of a cached blob streams the cached bytes. Everything else goes to the inner store.
 * Each `read` and `open` is a hit or a miss on `metrics` (a read that joins a concurrent miss
 * of the same digest is a miss too: it waits for the store).
 * The buffers handed out are shared: callers must not modify them (the port says so).
 */
import { Readable } from 'node:stream';
import { LruBySize } from '@wharf/collections';
import {
  NO_METRICS,
  checkBlobByteRange,
  type BlobByteRange,
  type BlobCacheMetrics,
  type BlobInfo,
  type BlobStore,
} from '@wharf/ports';

/** Blobs of at most `maxBlobBytes` are kept, `maxBytes` in all (either at 0: nothing is kept). */
export interface BlobCacheLimits {
  maxBytes: number;
  maxBlobBytes: number;
}

export interface BlobCacheStats {
  entries: number;
  bytes: number;
}

export class CachingBlobStore implements BlobStore {
  private readonly cache: LruBySize<string, Buffer>;
  private readonly reading = new Map<string, Promise<Buffer>>();
  /** Bumped by every delete: a read that began before a delete finished must not refill the cache. */
  private deletions = 0;

  readonly downloadUrl?: (digest: string, expiresSeconds: number) => Promise<string | null>;

  constructor(
    private readonly inner: BlobStore,
    limits: BlobCacheLimits,
    private readonly metrics: BlobCacheMetrics = NO_METRICS,
  ) {
    this.cache = new LruBySize({ maxEntrySize: limits.maxBlobBytes, maxTotalSize: limits.maxBytes });
    if (inner.downloadUrl) this.downloadUrl = (digest, expiresSeconds) => inner.downloadUrl!(digest, expiresSeconds);
  }

  /** Whether a blob of `size` bytes is kept in memory once read (the caller may then prefer `read` to `open`). */
  admits(size: number): boolean {
    return this.cache.admits(size);
  }

  stats(): BlobCacheStats {
    const { entries, size } = this.cache.stats();
    return { entries, bytes: size };
  }

  put(content: Buffer | Readable, expectedDigest?: string): Promise<BlobInfo> {
    return this.inner.put(content, expectedDigest);
  }

  /** A cached blob's range is a slice of the buffer; an uncached one's is the inner store's ranged read. */
  async open(digest: string, range?: BlobByteRange): Promise<Readable> {
    if (range) checkBlobByteRange(range);
    const cached = this.cache.get(digest);
    this.metrics.blobCacheLookup(cached !== undefined);
    if (!cached) return this.inner.open(digest, range);
    if (!range) return Readable.from([cached], { objectMode: false });
    if (range.start >= cached.length)
      throw new RangeError(`blob-cache: blob ${digest} has no byte ${range.start} (size ${cached.length})`);
    return Readable.from([cached.subarray(range.start, range.end + 1)], { objectMode: false });
  }

  async read(digest: string): Promise<Buffer> {
    const cached = this.cache.get(digest);
    this.metrics.blobCacheLookup(cached !== undefined);
    if (cached) return cached;
    const pending = this.reading.get(digest);
    if (pending) return pending;
    const started = this.deletions;
    const reading = this.inner.read(digest).then((bytes) => {
      if (this.deletions === started) this.cache.set(digest, bytes, bytes.length);
      return bytes;
    });
    this.reading.set(digest, reading);
    try {
      return await reading;
    } finally {
      this.reading.delete(digest);
    }
  }

  stat(digest: string): Promise<BlobInfo | null> {
    return this.inner.stat(digest);
  }

  async delete(digest: string): Promise<boolean> {
    this.deletions++;
    this.cache.delete(digest);
    try {
      return await this.inner.delete(digest);
    } finally {
      this.deletions++;
      this.cache.delete(digest);
    }
  }

  list(): AsyncIterable<BlobInfo> {
    return this.inner.list();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
