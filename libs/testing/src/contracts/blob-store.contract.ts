/**
 * The BlobStore contract (libs/ports/src/blob-store.port.ts), run unchanged against every
 * adapter:
 *
 *   describeBlobStoreContract('blob-s3', async () => ({ subject, cleanup, strayUploads }));
 *
 * Each test gets a fresh, empty store (its own directory, bucket or key prefix) and deletes
 * every blob it stored; teardown fails the test when the store still lists a blob or, where
 * the fixture can tell, keeps an unfinished upload (distribution's "did not clean up properly").
 */
import { randomBytes } from 'node:crypto';
import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable, finished } from 'node:stream';
import { BlobDigestMismatchError, BlobInfo, BlobNotFoundError, BlobStore } from '@wharf/ports';
import { ContractFixture, ContractOptions, useContractFixture } from './contract-fixture';
import { sha256Hex } from './contract-data.factory';
import { eventually } from './eventually';

export interface BlobStoreFixture extends ContractFixture<BlobStore> {
  /** Uploads started but never completed or discarded (temp files, multipart uploads); checked to be none after each test. */
  strayUploads?(): Promise<string[]>;
}

const MiB = 1024 * 1024;

export function describeBlobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreFixture>,
  options: ContractOptions = {},
): void {
  const within = options.eventuallyMs ?? 5_000;
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`BlobStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout, async (fixture) => {
      expect(await listAll(fixture.subject)).toEqual([]);
      if (fixture.strayUploads) expect(await fixture.strayUploads()).toEqual([]);
    });
    const blobs = () => ctx.fixture.subject;

    async function expectNotFound(call: Promise<unknown>, digest: string): Promise<void> {
      const error = await call.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BlobNotFoundError);
      expect(error).toMatchObject({ digest, store: expect.stringMatching(/.+/) });
    }

    async function expectMismatch(call: Promise<unknown>, expected: string, actual: string): Promise<void> {
      const error = await call.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BlobDigestMismatchError);
      expect(error).toMatchObject({ expected, actual, store: expect.stringMatching(/.+/) });
    }

    describe('put', () => {
      it(
        'should store a buffer under its sha256 and return digest and size',
        async () => {
          const content = randomBytes(1000);
          const digest = sha256Hex(content);

          const info = await blobs().put(content);

          expect(sized(info)).toEqual({ digest, size: 1000 });
          expectBytes(await blobs().read(digest), content);
          expectBytes(await drain(await blobs().open(digest)), content);
          expect(sized(await blobs().stat(digest))).toEqual({ digest, size: 1000 });
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should store an empty blob',
        async () => {
          const digest = sha256Hex(Buffer.alloc(0));

          expect(sized(await blobs().put(Buffer.alloc(0)))).toEqual({ digest, size: 0 });

          expectBytes(await blobs().read(digest), Buffer.alloc(0));
          expect(sized(await blobs().stat(digest))).toEqual({ digest, size: 0 });
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should be idempotent: storing bytes already there succeeds and changes nothing',
        async () => {
          const content = randomBytes(2048);
          const first = await blobs().put(content);

          const second = await blobs().put(
            Readable.from([content.subarray(0, 100), content.subarray(100)]),
            first.digest,
          );

          expect(sized(second)).toEqual(sized(first));
          expect(await listAll(blobs())).toEqual([sized(first)]);
          expectBytes(await blobs().read(first.digest), content);
          expect(await blobs().delete(first.digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should store the content when it hashes to expectedDigest',
        async () => {
          const content = randomBytes(500);
          const digest = sha256Hex(content);

          expect(sized(await blobs().put(content, digest))).toEqual({ digest, size: 500 });

          expectBytes(await blobs().read(digest), content);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should throw BlobDigestMismatchError and store nothing when the content hashes differently',
        async () => {
          const content = randomBytes(500);
          const actual = sha256Hex(content);
          const expected = sha256Hex('something else');

          await expectMismatch(blobs().put(content, expected), expected, actual);
          await expectMismatch(blobs().put(chunked(content, 7), expected), expected, actual);

          expect(await blobs().stat(actual)).toBeNull();
          expect(await blobs().stat(expected)).toBeNull();
        },
        timeout,
      );

      it(
        'should throw BlobDigestMismatchError and leave a stored blob alone when the announced digest is another blob',
        async () => {
          const stored = randomBytes(300);
          const other = randomBytes(300);
          const info = await blobs().put(stored);

          await expectMismatch(blobs().put(other, info.digest), info.digest, sha256Hex(other));

          expectBytes(await blobs().read(info.digest), stored);
          expect(await listAll(blobs())).toEqual([sized(info)]);
          expect(await blobs().delete(info.digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should round-trip a 6 MiB blob streamed from a Readable',
        async () => {
          const chunks = Array.from({ length: 96 }, () => randomBytes(64 * 1024));
          const digest = sha256Hex(Buffer.concat(chunks));

          const info = await blobs().put(Readable.from(chunks, { objectMode: false }));

          expect(sized(info)).toEqual({ digest, size: 6 * MiB });
          expect(sized(await blobs().stat(digest))).toEqual({ digest, size: 6 * MiB });
          expect(sha256Hex(await drain(await blobs().open(digest)))).toBe(digest);
          expect(sha256Hex(await blobs().read(digest))).toBe(digest);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should store the same bytes put concurrently once, every put succeeding',
        async () => {
          const content = randomBytes(MiB + 17);
          const digest = sha256Hex(content);

          const results = await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              i % 2 === 0 ? blobs().put(content) : blobs().put(chunked(content, 5), digest),
            ),
          );

          expect(results.map(sized)).toEqual(Array(6).fill({ digest, size: content.length }));
          expect(await listAll(blobs())).toEqual([{ digest, size: content.length }]);
          expectBytes(await blobs().read(digest), content);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should never show a blob being written, under its digest or in list',
        async () => {
          const content = randomBytes(2 * MiB);
          const digest = sha256Hex(content);
          const source = feedable();

          const putting = blobs().put(source.stream);
          for (let i = 0; i < 16; i++) source.feed(content.subarray(i * 64 * 1024, (i + 1) * 64 * 1024));
          await eventually(() => expect(source.starving()).toBe(true), within);

          expect(await blobs().stat(digest)).toBeNull();
          expect(await blobs().stat(sha256Hex(content.subarray(0, MiB)))).toBeNull();
          expect(await listAll(blobs())).toEqual([]);
          source.feed(content.subarray(MiB));
          source.feed(null);
          expect(sized(await putting)).toEqual({ digest, size: content.length });
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should reject and store nothing when the source stream fails',
        async () => {
          const partial = randomBytes(MiB);
          let sent = false;
          const source = new Readable({
            read() {
              if (sent) this.destroy(new Error('source failed'));
              else this.push(partial);
              sent = true;
            },
          });

          await expect(blobs().put(source)).rejects.toThrow();

          expect(await blobs().stat(sha256Hex(partial))).toBeNull();
        },
        timeout,
      );
    });

    describe('open and read', () => {
      it(
        'should send exactly the blob when the opened stream is piped into an HTTP response, as a download is sent',
        async () => {
          // Several reads' worth, and not a multiple of any buffer size; and an empty blob.
          for (const content of [randomBytes(3 * MiB + 12_345), Buffer.alloc(0)]) {
            const { digest } = await blobs().put(content);
            expectBytes(await serveOnce(() => blobs().open(digest), content.length), content);
            expect(await blobs().delete(digest)).toBe(true);
          }
        },
        timeout,
      );

      it(
        'should close the opened stream when the client of the response it is piped into goes away',
        async () => {
          const content = randomBytes(32 * MiB);
          const { digest } = await blobs().put(content);
          const closed = await downloadAbandoned(() => blobs().open(digest));
          expect(closed).toBe(true);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        "should stream only a range's bytes, read and piped into a response, its end clamped to the blob's last byte",
        async () => {
          const content = randomBytes(3 * MiB + 12_345);
          const { digest } = await blobs().put(content);
          const last = content.length - 1;
          const ranges = [
            { start: 0, end: 0 },
            { start: last, end: last },
            { start: 1_000_000, end: 2 * MiB + 17 },
            { start: last - 10, end: last + 1_000 },
          ];
          for (const range of ranges) {
            const want = content.subarray(range.start, range.end + 1);
            expectBytes(await drain(await blobs().open(digest, range)), want);
            expectBytes(await serveOnce(() => blobs().open(digest, range), want.length), want);
          }
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );

      it(
        "should reject a malformed range, or one starting past the blob's end, with a RangeError",
        async () => {
          const content = randomBytes(1000);
          const { digest } = await blobs().put(content);
          const empty = await blobs().put(Buffer.alloc(0));
          const refused = async (call: Promise<unknown>) => {
            const error = await call.then(
              (stream) => (stream as Readable).destroy(),
              (e: unknown) => e,
            );
            expect(error).toBeInstanceOf(RangeError);
          };
          for (const range of [
            { start: 1000, end: 1000 },
            { start: 5, end: 4 },
            { start: -1, end: 4 },
            { start: 0.5, end: 4 },
          ])
            await refused(blobs().open(digest, range));
          await refused(blobs().open(empty.digest, { start: 0, end: 0 }));
          expect(await blobs().delete(digest)).toBe(true);
          expect(await blobs().delete(empty.digest)).toBe(true);
        },
        timeout,
      );

      it(
        'should throw BlobNotFoundError for a digest that names no stored blob',
        async () => {
          const absent = sha256Hex(randomBytes(16));
          const deleted = await blobs().put(randomBytes(16));
          await blobs().delete(deleted.digest);

          for (const digest of [absent, deleted.digest]) {
            await expectNotFound(blobs().open(digest), digest);
            await expectNotFound(blobs().read(digest), digest);
          }
        },
        timeout,
      );
    });

    describe('after a delete', () => {
      it(
        'should serve a blob read before its delete no more, and the same bytes again once put again',
        async () => {
          const content = randomBytes(4096);
          const { digest } = await blobs().put(content);
          expectBytes(await blobs().read(digest), content);
          expectBytes(await blobs().read(digest), content);
          expectBytes(await drain(await blobs().open(digest)), content);

          expect(await blobs().delete(digest)).toBe(true);

          await expectNotFound(blobs().read(digest), digest);
          await expectNotFound(blobs().open(digest), digest);
          await blobs().put(content);
          expectBytes(await blobs().read(digest), content);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );
    });

    describe('stat', () => {
      it(
        'should return null for an absent blob',
        async () => {
          expect(await blobs().stat(sha256Hex(randomBytes(16)))).toBeNull();
        },
        timeout,
      );
    });

    describe('delete', () => {
      it(
        'should return true for a stored blob, then false, never failing for an absent one',
        async () => {
          const kept = await blobs().put(randomBytes(64));
          const info = await blobs().put(randomBytes(64));

          expect(await blobs().delete(info.digest)).toBe(true);
          expect(await blobs().delete(info.digest)).toBe(false);
          expect(await blobs().delete(sha256Hex(randomBytes(16)))).toBe(false);

          expect(await blobs().stat(info.digest)).toBeNull();
          expect(await listAll(blobs())).toEqual([sized(kept)]);
          expect(await blobs().delete(kept.digest)).toBe(true);
        },
        timeout,
      );
    });

    describe('list', () => {
      it(
        'should list every stored blob with its size, and nothing once deleted',
        async () => {
          expect(await listAll(blobs())).toEqual([]);
          const stored = [
            await blobs().put(randomBytes(10)),
            await blobs().put(randomBytes(0)),
            await blobs().put(randomBytes(300)),
          ];

          expect(await listAll(blobs())).toEqual(sortInfos(stored.map((i) => sized(i)!)));

          for (const info of stored) expect(await blobs().delete(info.digest)).toBe(true);
          expect(await listAll(blobs())).toEqual([]);
        },
        timeout,
      );
    });

    describe('storedAt', () => {
      it(
        'should tell when the bytes were last stored, and move forward when the same bytes are put again',
        async () => {
          const content = randomBytes(128);
          const before = Date.now();
          const first = await blobs().put(content);
          const stored = (await blobs().stat(first.digest))!.storedAt;
          expect(Number.isFinite(stored?.getTime())).toBe(true);
          // Stores may keep whole seconds (S3's Last-Modified).
          expect(stored!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 1000);
          expect(stored!.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
          expect((await listAll(blobs())).length).toBe(1);

          await new Promise((r) => setTimeout(r, 1100)); // past the next whole second
          await blobs().put(content);
          const restored = (await blobs().stat(first.digest))!.storedAt!;
          expect(restored.getTime()).toBeGreaterThan(stored!.getTime());
          expect(await blobs().delete(first.digest)).toBe(true);
        },
        timeout,
      );
    });

    describe('a digest that is not 64 lowercase hex', () => {
      it(
        'should never name a blob or a path outside the store',
        async () => {
          const content = randomBytes(100);
          const { digest } = await blobs().put(content);
          const hostile = [
            '../etc/passwd',
            '../../../../../../../../etc/passwd',
            '/etc/passwd',
            '..',
            '.',
            '',
            `sha256:${digest}`,
            digest.slice(0, 63),
            `${digest}0`,
            `${digest}/../${digest}`,
            `./${digest}`,
            `${digest.slice(0, 2)}/${digest}`,
            `sha256/${digest.slice(0, 2)}/${digest}`,
            `${digest}\0`,
            `${digest.slice(0, 60)}%2e%2e`,
            '../uploads',
          ];

          for (const bad of hostile) {
            await expectNotFound(blobs().open(bad), bad);
            await expectNotFound(blobs().read(bad), bad);
            expect(await blobs().stat(bad)).toBeNull();
            expect(await blobs().delete(bad)).toBe(false);
            await expect(blobs().put(randomBytes(8), bad)).rejects.toBeInstanceOf(BlobDigestMismatchError);
          }

          expectBytes(await blobs().read(digest), content);
          expect(await listAll(blobs())).toEqual([{ digest, size: 100 }]);
          expect(await blobs().delete(digest)).toBe(true);
        },
        timeout,
      );
    });
  });
}

/** Compares by hash: jest's deep equality walks a Buffer byte by byte, seconds per MiB. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect({ size: actual.length, sha256: sha256Hex(actual) }).toEqual({
    size: expected.length,
    sha256: sha256Hex(expected),
  });
}

async function listAll(store: BlobStore): Promise<BlobInfo[]> {
  const infos: BlobInfo[] = [];
  for await (const info of store.list()) infos.push(sized(info)!);
  return sortInfos(infos);
}

/** Digest and size only: `storedAt` is checked on its own, since it moves with every put. */
function sized(info: BlobInfo | null): BlobInfo | null {
  return info === null ? null : { digest: info.digest, size: info.size };
}

function sortInfos(infos: BlobInfo[]): BlobInfo[] {
  return [...infos].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
}

/**
 * Serves one GET whose body is the stream `open` gives, piped as Fastify sends a stream body
 * (a Content-Length, `pipe` into the response, the stream destroyed when the response closes
 * first), and answers the bytes a client received.
 */
async function serveOnce(open: () => Promise<Readable>, length: number): Promise<Buffer> {
  const server = createServer((_request, response) => {
    void open().then((stream) => {
      response.setHeader('content-length', length);
      pipeAsFastify(stream, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    return Buffer.from(await answer.arrayBuffer());
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Starts a download of the stream `open` gives, reads its first bytes, then drops the
 * connection; answers whether the stream closed within five seconds after.
 */
async function downloadAbandoned(open: () => Promise<Readable>): Promise<boolean> {
  let opened: Readable | null = null;
  const server = createServer((_request, response) => {
    void open().then((stream) => {
      opened = stream;
      pipeAsFastify(stream, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const aborted = new AbortController();
    const answer = await fetch(`http://127.0.0.1:${port}/`, { signal: aborted.signal });
    const reader = answer.body!.getReader();
    await reader.read();
    aborted.abort();
    await reader.cancel().catch(() => undefined);
    const stream = opened as Readable | null;
    if (!stream) return false;
    if (stream.closed) return true;
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5_000);
      stream.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** What Fastify does with a stream body: `pipe`, and `destroy` when the response closes while the stream is open. */
function pipeAsFastify(stream: Readable, response: ServerResponse): void {
  let open = true;
  finished(stream, { readable: true, writable: false }, () => {
    open = false;
  });
  finished(response, () => {
    if (open) stream.destroy();
  });
  stream.pipe(response);
}

async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A byte stream of `content` in `pieces` chunks. */
function chunked(content: Buffer, pieces: number): Readable {
  const size = Math.ceil(content.length / pieces);
  const chunks = Array.from({ length: pieces }, (_, i) => content.subarray(i * size, (i + 1) * size)).filter(
    (c) => c.length > 0,
  );
  return Readable.from(chunks, { objectMode: false });
}

/** A byte stream the test feeds by hand; `starving` once the reader took everything fed and asks for more. */
function feedable(): { stream: Readable; feed(chunk: Buffer | null): void; starving(): boolean } {
  const queue: (Buffer | null)[] = [];
  let asking = false;
  const stream = new Readable({
    read() {
      const next = queue.shift();
      asking = next === undefined;
      if (next !== undefined) this.push(next);
    },
  });
  return {
    stream,
    feed(chunk) {
      if (!asking) return void queue.push(chunk);
      asking = false;
      stream.push(chunk);
    },
    starving: () => asking,
  };
}
