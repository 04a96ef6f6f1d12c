/**
 * What the shared BlobStore contract does not cover for S3: large streams (memory bound,
 * multipart and copy routes), cleanup of multipart uploads on every failure, the key layout,
 * and the server behaviour the adapter relies on (Versity S3 Gateway locally).
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { BlobDigestMismatchError, isOutage } from '@wharf/ports';
import { sha256Hex } from '@wharf/testing';
import { S3BlobStore } from './blob-s3.adapter';
import { S3TestBucket } from './blob-s3.fixture';

const MiB = 1024 * 1024;
const bucket = new S3TestBucket();
afterAll(() => bucket.destroy());

/** Full GC on demand (jest does not pass --expose-gc), so memory samples count live bytes only. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * `size` pseudo-random bytes (AES-256-CTR keystream), made on demand in 64 KiB chunks and never
 * held whole: `stream()` gives the same bytes every time, so the digest can be known up front.
 * `every4MiB` runs whenever the consumer has pulled another 4 MiB.
 */
function pseudoRandom(size: number): { stream: (every4MiB?: () => void) => Readable; digest: string } {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const chunks = function* (every4MiB: () => void = () => {}) {
    const cipher = createCipheriv('aes-256-ctr', key, iv);
    const zeros = Buffer.alloc(64 * 1024);
    for (let sent = 0; sent < size; sent += zeros.length) {
      if (sent > 0 && sent % (4 * MiB) === 0) every4MiB();
      yield cipher.update(zeros.subarray(0, Math.min(zeros.length, size - sent)));
    }
  };
  const hash = createHash('sha256');
  for (const chunk of chunks()) hash.update(chunk);
  return { stream: (every4MiB) => Readable.from(chunks(every4MiB), { objectMode: false }), digest: hash.digest('hex') };
}

/** A stream of `content` in 64 KiB chunks. */
function streamOf(content: Buffer): Readable {
  return Readable.from(
    Array.from({ length: Math.ceil(content.length / (64 * 1024)) }, (_, i) =>
      content.subarray(i * 64 * 1024, (i + 1) * 64 * 1024),
    ),
    { objectMode: false },
  );
}

async function streamDigest(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: hash.digest('hex'), size };
}

/**
 * Peak growth of live memory (heapUsed + arrayBuffers, each sample taken right after a full GC,
 * so garbage not yet collected does not count) while `work` runs. Samples are taken whenever
 * `work` calls `sample` and every 250 ms (a full GC costs 100+ ms here, so not more often).
 */
async function peakGrowth<T>(
  work: (sample: () => void) => Promise<T>,
): Promise<{ result: T; growth: number; samples: number }> {
  const live = () => {
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
  // The baseline is the lowest of a few samples: the SDK keeps the last bodies it handled (the
  // previous test's) referenced for some milliseconds, which would inflate a single sample.
  let baseline = Infinity;
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gc();
    baseline = Math.min(baseline, live());
  }
  let peak = baseline;
  let samples = 0;
  const sample = () => {
    gc();
    peak = Math.max(peak, live());
    samples++;
  };
  const timer = setInterval(sample, 250);
  try {
    const result = await work(sample);
    return { result, growth: peak - baseline, samples };
  } finally {
    clearInterval(timer);
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** A URL on 127.0.0.1 where nothing listens (a port just released). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

describe('S3BlobStore (int)', () => {
  let store: S3BlobStore;
  let prefix: string;

  async function useStore(options: Parameters<S3TestBucket['store']>[0] = {}): Promise<void> {
    await store?.close();
    ({ store, prefix } = await bucket.store(options));
  }

  beforeEach(() => useStore());

  afterEach(async () => {
    // Nothing half-written may survive any test.
    expect(await bucket.strayUploads(prefix)).toEqual([]);
    await store.close();
    await bucket.empty(prefix);
  });

  describe('large blobs', () => {
    const size = 50 * MiB;

    it.each([
      ['without a digest (multipart to uploads/, then CopyObject)', false],
      ['with expectedDigest (multipart straight to the final key)', true],
    ])('should stream a 50 MiB Readable %s, never holding the blob twice in memory', async (_, announce) => {
      const blob = pseudoRandom(size);
      const digest = blob.digest;

      const {
        result: info,
        growth,
        samples,
      } = await peakGrowth((sample) => store.put(blob.stream(sample), announce ? digest : undefined));

      process.stdout.write(
        `[blob-s3] put of a ${mib(size)} stream ${announce ? 'with' : 'without'} digest: live memory grew by at most ${mib(growth)} (${samples} samples)\n`,
      );
      expect(info).toMatchObject({ digest, size });
      expect(samples).toBeGreaterThanOrEqual(10);
      // Default 8 MiB parts: two uploading, one being filled, and the bodies of parts that just
      // finished, which the SDK keeps referenced for a few milliseconds more. Measured here:
      // 25–48 MiB (bounded by the part count in flight, not the blob's size); holding the blob
      // twice would be 100+ MiB.
      expect(growth).toBeLessThan(1.5 * size);

      expect(await store.stat(digest)).toMatchObject({ digest, size });
      expect(await streamDigest(await store.open(digest))).toEqual({ digest, size });
      expect(sha256Hex(await store.read(digest))).toBe(digest);
      expect(await bucket.keys(prefix)).toEqual([`${prefix}sha256/${digest.slice(0, 2)}/${digest}`]);
      expect(await store.delete(digest)).toBe(true);
    });

    it('should put a 50 MiB Buffer with one PutObject, adding nothing close to its size in memory', async () => {
      const content = randomBytes(size);
      const digest = sha256Hex(content);

      const { result: info, growth } = await peakGrowth(() => store.put(content));

      process.stdout.write(`[blob-s3] put of a ${mib(size)} Buffer: live memory grew by at most ${mib(growth)}\n`);
      expect(info).toMatchObject({ digest, size });
      expect(growth).toBeLessThan(0.5 * size);
      expect(await streamDigest(await store.open(digest))).toEqual({ digest, size });
      expect(await store.delete(digest)).toBe(true);
    });
  });

  describe('failures leave nothing behind', () => {
    beforeEach(() => useStore({ partSize: 5 * MiB }));

    it('should abort the multipart upload and store nothing when a multi-part stream mismatches expectedDigest', async () => {
      const content = randomBytes(12 * MiB);
      const actual = sha256Hex(content);
      const expected = sha256Hex(randomBytes(8));

      const error = await store.put(streamOf(content), expected).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(BlobDigestMismatchError);
      expect(error).toMatchObject({ expected, actual });
      expect(await store.stat(actual)).toBeNull();
      expect(await store.stat(expected)).toBeNull();
      expect(await bucket.keys(prefix)).toEqual([]);
      expect(await bucket.multipartUploads(prefix)).toEqual([]);
    });

    it('should abort the multipart upload when the source fails after several parts', async () => {
      let sent = 0;
      const source = new Readable({
        read() {
          if (sent >= 11 * MiB) return void this.destroy(new Error('source failed'));
          sent += MiB;
          this.push(randomBytes(MiB));
        },
      });

      await expect(store.put(source)).rejects.toThrow('source failed');

      expect(await bucket.keys(prefix)).toEqual([]);
      expect(await bucket.multipartUploads(prefix)).toEqual([]);
    });

    it('should leave an existing blob alone and upload nothing when a long stream announces its digest but differs', async () => {
      const stored = randomBytes(12 * MiB);
      const info = await store.put(stored);
      const other = randomBytes(12 * MiB);

      await expect(store.put(streamOf(other), info.digest)).rejects.toBeInstanceOf(BlobDigestMismatchError);

      expect(sha256Hex(await store.read(info.digest))).toBe(info.digest);
      expect(await bucket.keys(prefix)).toEqual([`${prefix}sha256/${info.digest.slice(0, 2)}/${info.digest}`]);
      expect(await store.delete(info.digest)).toBe(true);
    });
  });

  describe('routes', () => {
    it('should copy with UploadPartCopy when the blob exceeds maxCopyObjectSize (the 5 GiB CopyObject limit)', async () => {
      await useStore({ partSize: 5 * MiB, maxCopyObjectSize: 6 * MiB, copyPartSize: 5 * MiB });
      const content = randomBytes(12 * MiB + 3);
      const digest = sha256Hex(content);

      expect(await store.put(streamOf(content))).toMatchObject({ digest, size: content.length });

      expect(sha256Hex(await store.read(digest))).toBe(digest);
      expect(await bucket.keys(prefix)).toEqual([`${prefix}sha256/${digest.slice(0, 2)}/${digest}`]);
      expect(await store.delete(digest)).toBe(true);
    });

    it('should store multi-part streams put concurrently, with and without digest, once', async () => {
      await useStore({ partSize: 5 * MiB });
      const content = randomBytes(11 * MiB + 5);
      const digest = sha256Hex(content);

      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          i % 3 === 0 ? store.put(content) : store.put(streamOf(content), i % 3 === 1 ? digest : undefined),
        ),
      );

      for (const result of results) expect(result).toMatchObject({ digest, size: content.length });
      expect(await bucket.keys(prefix)).toEqual([`${prefix}sha256/${digest.slice(0, 2)}/${digest}`]);
      expect(sha256Hex(await store.read(digest))).toBe(digest);
      expect(await store.delete(digest)).toBe(true);
    });
  });

  describe('open (a GET of its own connection, read without the SDK)', () => {
    /** This process's TCP connections to the S3 engine (its sockets in /proc, matched to /proc/net/tcp). */
    function connectionsToS3(): number {
      const port = Number(new URL(bucket.connection.endpoint).port || 80)
        .toString(16)
        .toUpperCase()
        .padStart(4, '0');
      const inodes = new Set(
        readdirSync('/proc/self/fd')
          .map((fd) => {
            try {
              return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
            } catch {
              return undefined; // closed meanwhile
            }
          })
          .filter((inode): inode is string => inode !== undefined),
      );
      let count = 0;
      for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
        for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
          const fields = line.trim().split(/\s+/);
          // remote address's port, state 01 (ESTABLISHED), inode
          if (fields[2]?.endsWith(`:${port}`) && fields[3] === '01' && inodes.has(fields[9]!)) count++;
        }
      }
      return count;
    }

    async function until(condition: () => boolean): Promise<boolean> {
      for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
      return condition();
    }

    it('should close its connection to S3 when the client of the response it is piped into goes away', async () => {
      const content = randomBytes(64 * MiB);
      const { digest } = await store.put(content);
      await store.close(); // the SDK's kept-alive connections, so only open's own is counted below
      ({ store } = await bucket.store({ prefix }));
      const before = connectionsToS3();
      const server = createServer((_request, response) => {
        void store.open(digest).then((stream) => {
          response.setHeader('content-length', content.length);
          stream.pipe(response);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const aborted = new AbortController();
        const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
          signal: aborted.signal,
        });
        await answer.body!.getReader().read();
        expect(connectionsToS3()).toBe(before + 1);

        aborted.abort();

        expect(await until(() => connectionsToS3() === before)).toBe(true);
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
      expect(await store.delete(digest)).toBe(true);
    });

    it('should fail with the refused connection, an error the ports count as an outage, when S3 cannot be reached', async () => {
      const unreachable = new S3BlobStore({
        ...bucket.connection,
        endpoint: await closedPortUrl(),
        bucket: bucket.bucket,
        prefix,
        maxAttempts: 1,
      });
      try {
        const error = await unreachable.open(sha256Hex(randomBytes(8))).catch((e: unknown) => e);
        // The socket's own code, as the SDK's refused connections (s3-outage.ts): isOutage knows it.
        expect(error).toMatchObject({ code: 'ECONNREFUSED' });
        expect(isOutage(error)).toBe(true);
      } finally {
        await unreachable.close();
      }
    });
  });

  describe('downloadUrl', () => {
    it('should sign a URL that serves exactly the blob, and expire it', async () => {
      const content = randomBytes(64 * 1024);
      const { digest } = await store.put(content);

      const url = await store.downloadUrl(digest, 60);
      expect(url).toMatch(/^http/);
      const res = await fetch(url!);
      expect(res.status).toBe(200);
      expect(sha256Hex(Buffer.from(await res.arrayBuffer()))).toBe(digest);

      const shortLived = await store.downloadUrl(digest, 1);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await fetch(shortLived!)).status).toBe(403);

      expect(await store.downloadUrl(sha256Hex(randomBytes(8)), 60)).toBeNull();
      expect(await store.downloadUrl('../etc/passwd', 60)).toBeNull();
      expect(await store.delete(digest)).toBe(true);
    });
  });

  describe('storedAt', () => {
    it.each([
      ['a stream without digest (copied from uploads/)', (content: Buffer) => streamOf(content), false],
      ['a stream with its digest (multipart to the final key)', (content: Buffer) => streamOf(content), true],
      ['a Buffer (PutObject)', (content: Buffer) => content, false],
    ])('should move forward when the same multi-part bytes come again as %s', async (_, source, announce) => {
      await useStore({ partSize: 5 * MiB });
      const content = randomBytes(11 * MiB);
      const digest = sha256Hex(content);
      await store.put(content);
      const first = (await store.stat(digest))!.storedAt!;

      await new Promise((r) => setTimeout(r, 1100)); // Last-Modified has whole seconds
      const again = await store.put(source(content), announce ? digest : undefined);

      expect(again).toMatchObject({ digest, size: content.length });
      const second = (await store.stat(digest))!;
      expect(second.storedAt!.getTime()).toBeGreaterThan(first.getTime());
      expect(await collect(store.list())).toEqual([second]);
      expect(sha256Hex(await store.read(digest))).toBe(digest);
      expect(await store.delete(digest)).toBe(true);
    });
  });

  describe('setup', () => {
    it('should create a missing bucket, idempotently', async () => {
      const other = new S3TestBucket();
      try {
        const first = await S3BlobStore.create({ ...other.connection, bucket: other.bucket });
        const second = await S3BlobStore.create({ ...other.connection, bucket: other.bucket });
        await second.init();
        const info = await first.put(randomBytes(10));
        expect(await second.stat(info.digest)).toMatchObject({ digest: info.digest, size: info.size });
        expect(await first.delete(info.digest)).toBe(true);
        await Promise.all([first.close(), second.close()]);
      } finally {
        await other.destroy();
      }
    });
  });

  describe('server behaviour the adapter relies on', () => {
    it('should reject a PutObject whose ChecksumSHA256 does not match the body, storing nothing', async () => {
      const key = `${prefix}sha256/00/checksum-probe`;
      const body = randomBytes(100);
      const wrong = createHash('sha256').update('other').digest('base64');

      const error = await bucket.admin
        .send(new PutObjectCommand({ Bucket: bucket.bucket, Key: key, Body: body, ChecksumSHA256: wrong }))
        .catch((e: unknown) => e);

      expect(error).toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
      expect(await bucket.keys(prefix)).toEqual([]);
    });
  });
});
