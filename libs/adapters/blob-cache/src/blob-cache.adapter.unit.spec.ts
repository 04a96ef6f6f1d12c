import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { BlobInfo, BlobNotFoundError, BlobStore } from '@wharf/ports';
import { RecordingMetrics } from '@wharf/testing';
import { CachingBlobStore } from './blob-cache.adapter';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** An in-memory store that counts the reads reaching it; `gate` holds reads until released. */
class CountingStore implements BlobStore {
  readonly blobs = new Map<string, Buffer>();
  reads = 0;
  opens = 0;
  gate: Promise<void> | null = null;

  async put(content: Buffer | Readable): Promise<BlobInfo> {
    const bytes = Buffer.isBuffer(content) ? content : Buffer.concat(await content.toArray());
    const digest = sha256(bytes);
    this.blobs.set(digest, Buffer.from(bytes));
    return { digest, size: bytes.length };
  }
  async open(digest: string): Promise<Readable> {
    this.opens++;
    return Readable.from([await this.bytes(digest)]);
  }
  async read(digest: string): Promise<Buffer> {
    this.reads++;
    const bytes = await this.bytes(digest);
    if (this.gate) await this.gate;
    return Buffer.from(bytes);
  }
  async stat(digest: string): Promise<BlobInfo | null> {
    const bytes = this.blobs.get(digest);
    return bytes ? { digest, size: bytes.length } : null;
  }
  async delete(digest: string): Promise<boolean> {
    return this.blobs.delete(digest);
  }
  async *list(): AsyncIterable<BlobInfo> {
    for (const [digest, bytes] of this.blobs) yield { digest, size: bytes.length };
  }
  async close(): Promise<void> {}
  private async bytes(digest: string): Promise<Buffer> {
    const bytes = this.blobs.get(digest);
    if (!bytes) throw new BlobNotFoundError(digest, 'counting');
    return bytes;
  }
}

async function drain(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

describe(CachingBlobStore.name, () => {
  it('should serve every blob its own bytes, from memory after the first read', async () => {
    const inner = new CountingStore();
    const store = new CachingBlobStore(inner, { maxBytes: 1024 * 1024, maxBlobBytes: 8192 });
    const contents = Array.from({ length: 50 }, (_, i) => randomBytes(100 + i * 50));
    const digests = await Promise.all(contents.map(async (c) => (await store.put(c)).digest));

    for (let round = 0; round < 3; round++) {
      for (const [i, digest] of digests.entries()) {
        expect(sha256(await store.read(digest))).toBe(sha256(contents[i]));
        expect(sha256(await drain(await store.open(digest)))).toBe(digest);
      }
    }
    expect(inner.reads).toBe(50);
    expect(inner.opens).toBe(0);
  });

  it('should count each read and open as a hit or a miss', async () => {
    const metrics = new RecordingMetrics();
    const store = new CachingBlobStore(new CountingStore(), { maxBytes: 10_000, maxBlobBytes: 100 }, metrics);
    const small = (await store.put(randomBytes(50))).digest;
    const large = (await store.put(randomBytes(500))).digest;

    await store.read(small);
    await store.read(small);
    await drain(await store.open(small));
    await store.read(large);
    await drain(await store.open(large));

    expect(metrics.counted).toEqual([
      'blob cache miss',
      'blob cache hit',
      'blob cache hit',
      'blob cache miss',
      'blob cache miss',
    ]);
  });

  it('should keep no more than its bound, read through for blobs too large to keep, and still serve the right bytes', async () => {
    const inner = new CountingStore();
    const store = new CachingBlobStore(inner, { maxBytes: 3000, maxBlobBytes: 1000 });
    const small = await Promise.all(Array.from({ length: 10 }, () => store.put(randomBytes(900))));
    const large = await store.put(randomBytes(1001));

    for (let round = 0; round < 3; round++) {
      for (const { digest } of [...small, large]) {
        expect(sha256(await store.read(digest))).toBe(digest);
        expect(store.stats().bytes).toBeLessThanOrEqual(3000);
      }
    }
    expect(store.stats().entries).toBe(3);
    expect(store.admits(1000)).toBe(true);
    expect(store.admits(1001)).toBe(false);
    // Every read of the large blob and every small read after eviction went to the store.
    expect(inner.reads).toBe(33);
  });

  it('should share one read of the store among concurrent misses of one digest', async () => {
    const inner = new CountingStore();
    const store = new CachingBlobStore(inner, { maxBytes: 10_000, maxBlobBytes: 10_000 });
    const { digest } = await store.put(randomBytes(500));

    const read = await Promise.all(Array.from({ length: 8 }, () => store.read(digest)));

    expect(read.map(sha256)).toEqual(Array(8).fill(digest));
    expect(inner.reads).toBe(1);
  });

  it('should not serve a deleted blob from memory, nor let a read begun before the delete put it back', async () => {
    const inner = new CountingStore();
    const store = new CachingBlobStore(inner, { maxBytes: 10_000, maxBlobBytes: 10_000 });
    const content = randomBytes(500);
    const { digest } = await store.put(content);
    await store.read(digest);

    expect(await store.delete(digest)).toBe(true);
    await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(store.open(digest)).rejects.toBeInstanceOf(BlobNotFoundError);

    await store.put(content);
    let release!: () => void;
    inner.gate = new Promise((resolve) => (release = resolve));
    const racing = store.read(digest);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await store.delete(digest)).toBe(true);
    release();
    expect(sha256(await racing)).toBe(digest);
    inner.gate = null;
    await expect(store.read(digest)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(store.stats().entries).toBe(0);
  });

  it('should keep nothing and read through every time when its bounds are 0', async () => {
    const inner = new CountingStore();
    const store = new CachingBlobStore(inner, { maxBytes: 0, maxBlobBytes: 0 });
    const { digest } = await store.put(randomBytes(10));
    for (let i = 0; i < 3; i++) expect(sha256(await store.read(digest))).toBe(digest);
    expect(inner.reads).toBe(3);
    expect(store.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('should offer download URLs exactly when the store behind it does', async () => {
    const plain = new CachingBlobStore(new CountingStore(), { maxBytes: 1, maxBlobBytes: 1 });
    expect(plain.downloadUrl).toBeUndefined();
    const signing = new CountingStore() as CountingStore & { downloadUrl?: BlobStore['downloadUrl'] };
    signing.downloadUrl = async (digest, expires) => `https://s3.example/${digest}?expires=${expires}`;
    expect(await new CachingBlobStore(signing, { maxBytes: 1, maxBlobBytes: 1 }).downloadUrl?.('abc', 60)).toBe(
      'https://s3.example/abc?expires=60',
    );
  });
});
