/**
 * The UploadSessionStore contract (libs/ports/src/upload-sessions.port.ts), run unchanged
 * against every adapter. Each test gets a fresh, empty store; teardown fails the test when a
 * session it started is still there (`expire` of everything must find none). `reopen` gives a
 * second store over the same storage (a gateway restarted, or another replica).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  UploadOffsetMismatchError,
  UploadSessionNotFoundError,
  UploadSessionStore,
  UploadTooLargeError,
} from '@wharf/ports';
import { ContractFixture, ContractOptions, useContractFixture } from './contract-fixture';

export interface UploadSessionsFixture extends ContractFixture<UploadSessionStore> {
  /** Another store over the subject's storage, as a restarted gateway or another replica opens it; the test closes it. */
  reopen(): Promise<UploadSessionStore>;
}

const FAR_FUTURE = new Date(Date.now() + 365 * 24 * 3600_000);
const MiB = 1024 * 1024;

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A stream that yields `first`, then fails. */
function failingAfter(first: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield first;
      throw new Error('client went away');
    })(),
  );
}

export function describeUploadSessionsContract(
  name: string,
  factory: () => Promise<UploadSessionsFixture>,
  options: ContractOptions = {},
): void {
  const timeout = options.testTimeoutMs ?? 30_000;

  describe(`UploadSessionStore contract: ${name}`, () => {
    const ctx = useContractFixture(factory, timeout, async (fixture) => {
      expect(await fixture.subject.expire(FAR_FUTURE)).toBe(0);
    });
    const sessions = () => ctx.fixture.subject;

    it(
      'should start an empty session in a repository and find it there only',
      async () => {
        const started = await sessions().start('ns/chart');
        expect(started).toMatchObject({ repository: 'ns/chart', size: 0 });
        expect(started.id).toMatch(/^[A-Za-z0-9._-]+$/);
        expect(await sessions().get('ns/chart', started.id)).toMatchObject({ id: started.id, size: 0 });
        expect(await sessions().get('ns/other', started.id)).toBeNull();
        expect(await sessions().get('ns/chart', '../../etc/passwd')).toBeNull();
        expect(await sessions().delete('ns/chart', started.id)).toBe(true);
        expect(await sessions().delete('ns/chart', started.id)).toBe(false);
        expect(await sessions().get('ns/chart', started.id)).toBeNull();
      },
      timeout,
    );

    it(
      'should append chunks in order and stream back exactly the bytes received',
      async () => {
        const { id } = await sessions().start('ns/chart');
        const first = randomBytes(3 * MiB + 17);
        const second = randomBytes(1000);
        expect((await sessions().append('ns/chart', id, 0, Readable.from([first]), 8 * MiB)).size).toBe(first.length);
        expect((await sessions().append('ns/chart', id, first.length, Readable.from([second]), 8 * MiB)).size).toBe(
          first.length + second.length,
        );
        // Buffer.equals: Jest's toEqual walks 3 MiB byte by byte for seconds.
        expect((await bytesOf(await sessions().open('ns/chart', id))).equals(Buffer.concat([first, second]))).toBe(
          true,
        );
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should keep chunks of any size, across part boundaries, and drop a chunk past the bound whole',
      async () => {
        const { id } = await sessions().start('ns/chart');
        const chunks = [randomBytes(3 * MiB), randomBytes(4 * MiB + 5), randomBytes(4 * MiB), randomBytes(10)];
        let size = 0;
        for (const [i, chunk] of chunks.entries()) {
          if (i === 2) {
            // Parts of a chunk past the bound may be written before it is refused: none is kept.
            await expect(
              sessions().append('ns/chart', id, size, Readable.from([randomBytes(6 * MiB)]), 12 * MiB),
            ).rejects.toBeInstanceOf(UploadTooLargeError);
            expect((await sessions().get('ns/chart', id))?.size).toBe(size);
          }
          size = (await sessions().append('ns/chart', id, size, Readable.from([chunk]), 12 * MiB)).size;
        }
        expect(size).toBe(11 * MiB + 15);
        expect((await bytesOf(await sessions().open('ns/chart', id))).equals(Buffer.concat(chunks))).toBe(true);
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should take no chunk once opened (the upload is being finished), and open again to the same bytes',
      async () => {
        const { id } = await sessions().start('ns/chart');
        await sessions().append('ns/chart', id, 0, Readable.from([Buffer.from('abc')]), 100);
        expect((await bytesOf(await sessions().open('ns/chart', id))).toString()).toBe('abc');
        await expect(
          sessions().append('ns/chart', id, 3, Readable.from([Buffer.from('def')]), 100),
        ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        expect((await bytesOf(await sessions().open('ns/chart', id))).toString()).toBe('abc');
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should seal a session for one caller only, at its final size, and take no chunk after it',
      async () => {
        const other = await ctx.fixture.reopen();
        ctx.defer(() => other.close());
        const { id } = await sessions().start('ns/chart');
        await sessions().append('ns/chart', id, 0, Readable.from([Buffer.from('abc')]), 100);
        expect(await sessions().seal('ns/chart', id)).toMatchObject({ id, repository: 'ns/chart', size: 3 });
        await expect(
          sessions().append('ns/chart', id, 3, Readable.from([Buffer.from('def')]), 100),
        ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(other.append('ns/chart', id, 3, Readable.from([Buffer.from('def')]), 100)).rejects.toBeInstanceOf(
          UploadSessionNotFoundError,
        );
        await expect(sessions().seal('ns/chart', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(other.seal('ns/chart', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        // Still there, with its bytes, for the caller that sealed it to finish or remove.
        expect((await other.get('ns/chart', id))?.size).toBe(3);
        expect((await bytesOf(await other.open('ns/chart', id))).toString()).toBe('abc');
        expect(await sessions().delete('ns/chart', id)).toBe(true);

        const empty = await sessions().start('ns/chart');
        const sealed = await Promise.allSettled([
          sessions().seal('ns/chart', empty.id),
          sessions().seal('ns/chart', empty.id),
        ]);
        expect(sealed.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(sealed.find((s) => s.status === 'rejected')).toMatchObject({
          reason: expect.any(UploadSessionNotFoundError),
        });
        expect(sealed.find((s) => s.status === 'fulfilled')).toMatchObject({ value: { size: 0 } });
        await expect(sessions().seal('ns/other', empty.id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(sessions().seal('ns/chart', 'no-such-session')).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await sessions().delete('ns/chart', empty.id);
      },
      timeout,
    );

    it(
      'should hand a session over to another store on the same storage (a restart, another replica)',
      async () => {
        const other = await ctx.fixture.reopen();
        ctx.defer(() => other.close());
        const first = randomBytes(6 * MiB);
        const { id } = await sessions().start('ns/chart');
        await sessions().append('ns/chart', id, 0, Readable.from([first]), 16 * MiB);
        expect(await other.get('ns/chart', id)).toMatchObject({ id, size: first.length });
        expect(await other.get('ns/other', id)).toBeNull();
        await expect(
          other.append('ns/chart', id, 1, Readable.from([Buffer.from('x')]), 16 * MiB),
        ).rejects.toBeInstanceOf(UploadOffsetMismatchError);
        await other.append('ns/chart', id, first.length, Readable.from([Buffer.from('last')]), 16 * MiB);
        expect((await sessions().get('ns/chart', id))?.size).toBe(first.length + 4);
        const bytes = await bytesOf(await sessions().open('ns/chart', id));
        expect(bytes.equals(Buffer.concat([first, Buffer.from('last')]))).toBe(true);
        expect((await bytesOf(await other.open('ns/chart', id))).equals(bytes)).toBe(true);
        await other.link('ns/chart', 'f'.repeat(64));
        expect(await sessions().linked('ns/chart', 'f'.repeat(64))).toBe(true);
        expect(await sessions().unlink('ns/chart', 'f'.repeat(64))).toBe(true);
        expect(await other.delete('ns/chart', id)).toBe(true);
        expect(await sessions().get('ns/chart', id)).toBeNull();
      },
      timeout,
    );

    it(
      'should refuse a chunk that does not start at the session size, and keep the bytes',
      async () => {
        const { id } = await sessions().start('ns/chart');
        await sessions().append('ns/chart', id, 0, Readable.from([Buffer.from('abc')]), 100);
        const refused = await sessions()
          .append('ns/chart', id, 1, Readable.from([Buffer.from('xyz')]), 100)
          .catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(UploadOffsetMismatchError);
        expect(refused).toMatchObject({ expected: 3, given: 1 });
        expect((await sessions().get('ns/chart', id))?.size).toBe(3);
        expect((await bytesOf(await sessions().open('ns/chart', id))).toString()).toBe('abc');
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should keep the size it had when a chunk fails mid-way or passes the bound',
      async () => {
        const { id } = await sessions().start('ns/chart');
        await sessions().append('ns/chart', id, 0, Readable.from([Buffer.from('abc')]), 10);
        await expect(sessions().append('ns/chart', id, 3, failingAfter(Buffer.from('defg')), 10)).rejects.toThrow(
          'client went away',
        );
        expect((await sessions().get('ns/chart', id))?.size).toBe(3);
        await expect(
          sessions().append('ns/chart', id, 3, Readable.from([Buffer.from('0123456789')]), 10),
        ).rejects.toBeInstanceOf(UploadTooLargeError);
        expect((await bytesOf(await sessions().open('ns/chart', id))).toString()).toBe('abc');
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should answer UploadSessionNotFoundError for an unknown session',
      async () => {
        await expect(sessions().open('ns/chart', 'no-such-session')).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(
          sessions().append('ns/chart', 'no-such-session', 0, Readable.from([Buffer.from('a')]), 10),
        ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
      },
      timeout,
    );

    it(
      'should keep a sha512 alias of a linked blob, in that repository only, and drop it alone',
      async () => {
        const digest = 'c'.repeat(64);
        const alias = `sha512:${'d'.repeat(128)}`;
        expect(await sessions().resolveAlias('ns/chart', alias)).toBeNull();
        await sessions().linkAlias('ns/chart', alias, digest);
        await sessions().linkAlias('ns/chart', alias, digest);
        expect(await sessions().resolveAlias('ns/chart', alias)).toBe(digest);
        expect(await sessions().linked('ns/chart', digest)).toBe(true);
        expect(await sessions().resolveAlias('ns/other', alias)).toBeNull();
        expect(await sessions().resolveAlias('ns/chart', `sha512:${'e'.repeat(128)}`)).toBeNull();
        expect(await sessions().resolveAlias('ns/chart', `sha512:../${'d'.repeat(125)}`)).toBeNull();
        await expect(sessions().linkAlias('ns/chart', 'sha512:../x', digest)).rejects.toThrow();
        expect(await sessions().unlinkAlias('ns/other', alias)).toBe(false);
        expect(await sessions().unlinkAlias('ns/chart', alias)).toBe(true);
        expect(await sessions().resolveAlias('ns/chart', alias)).toBeNull();
        expect(await sessions().linked('ns/chart', digest)).toBe(true);
        expect(await sessions().unlinkAlias('ns/chart', alias)).toBe(false);
      },
      timeout,
    );

    it(
      'should name the repositories that hold a digest, by link or alias, in a stable order, at most `limit`',
      async () => {
        const hex = '1'.repeat(64);
        const digest = `sha256:${hex}`;
        const alias = `sha512:${'2'.repeat(128)}`;
        expect(await sessions().holders(digest, 10)).toEqual([]);
        for (const repository of ['ns/b', 'other/a', 'ns/c', 'ns/a']) await sessions().link(repository, hex);
        await sessions().link('ns/b', hex);
        await sessions().link('ns/d', '3'.repeat(64));
        const all = await sessions().holders(digest, 10);
        expect([...all].sort()).toEqual(['ns/a', 'ns/b', 'ns/c', 'other/a']);
        // The same order every time, and from another process; a smaller limit is a prefix of it.
        expect(await sessions().holders(digest, 10)).toEqual(all);
        const other = await ctx.fixture.reopen();
        try {
          expect(await other.holders(digest, 10)).toEqual(all);
        } finally {
          await other.close();
        }
        expect(await sessions().holders(digest, 4)).toEqual(all);
        expect(await sessions().holders(digest, 2)).toEqual(all.slice(0, 2));
        expect(await sessions().holders(digest, 1)).toEqual(all.slice(0, 1));
        // An alias is held under its own digest; the link it names under the sha256.
        await sessions().linkAlias('ns/e', alias, hex);
        expect(await sessions().holders(alias, 10)).toEqual(['ns/e']);
        expect([...(await sessions().holders(digest, 10))].sort()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/e', 'other/a']);
        // Undone links and aliases are no longer named; the others stay in their order.
        expect(await sessions().unlink('ns/b', hex)).toBe(true);
        expect(await sessions().unlinkAlias('ns/e', alias)).toBe(true);
        expect(await sessions().holders(alias, 10)).toEqual([]);
        const left = all.filter((repository) => repository !== 'ns/b');
        expect((await sessions().holders(digest, 10)).filter((repository) => repository !== 'ns/e')).toEqual(left);
        for (const repository of ['other/a', 'ns/c', 'ns/a', 'ns/e']) await sessions().unlink(repository, hex);
        expect(await sessions().holders(digest, 10)).toEqual([]);
        expect(await sessions().holders('sha256:' + '3'.repeat(64), 10)).toEqual(['ns/d']);
      },
      timeout,
    );

    it(
      'should name no holder for a malformed digest, and refuse a limit that is not a positive integer',
      async () => {
        const hex = '4'.repeat(64);
        await sessions().link('ns/chart', hex);
        expect(await sessions().holders(`sha256:${hex}`, 1)).toEqual(['ns/chart']);
        for (const digest of [hex, `sha256:${hex.slice(1)}`, `sha512:${hex}`, `SHA256:${hex}`, '../x', ''])
          expect(await sessions().holders(digest, 10)).toEqual([]);
        for (const limit of [0, -1, 1.5, Number.NaN])
          await expect(sessions().holders(`sha256:${hex}`, limit)).rejects.toBeInstanceOf(RangeError);
        await sessions().unlink('ns/chart', hex);
      },
      timeout,
    );

    it(
      'should link a blob to a repository, and to that repository only',
      async () => {
        const digest = 'a'.repeat(64);
        expect(await sessions().linked('ns/chart', digest)).toBe(false);
        await sessions().link('ns/chart', digest);
        await sessions().link('ns/chart', digest);
        expect(await sessions().linked('ns/chart', digest)).toBe(true);
        expect(await sessions().linked('ns/other', digest)).toBe(false);
        expect(await sessions().linked('ns/chart', 'b'.repeat(64))).toBe(false);
        expect(await sessions().linked('ns/chart', '../x')).toBe(false);
        expect(await sessions().unlink('ns/other', digest)).toBe(false);
        expect(await sessions().unlink('ns/chart', digest)).toBe(true);
        expect(await sessions().linked('ns/chart', digest)).toBe(false);
        expect(await sessions().unlink('ns/chart', digest)).toBe(false);
      },
      timeout,
    );

    it(
      'should expire a session by its last activity, not its start: a slow upload that keeps sending lives on',
      async () => {
        const slow = await sessions().start('ns/chart');
        const idle = await sessions().start('ns/chart');
        // Both hold something (a store may keep nothing of an empty session until then).
        await sessions().append('ns/chart', slow.id, 0, Readable.from([Buffer.from('ab')]), 100);
        await sessions().append('ns/chart', idle.id, 0, Readable.from([Buffer.from('ab')]), 100);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const cut = new Date();
        await new Promise((resolve) => setTimeout(resolve, 20));
        await sessions().append('ns/chart', slow.id, 2, Readable.from([Buffer.from('c')]), 100);
        // A refused chunk is no activity: the session is idle all the same.
        await expect(
          sessions().append('ns/chart', idle.id, 5, Readable.from([Buffer.from('x')]), 100),
        ).rejects.toBeInstanceOf(UploadOffsetMismatchError);
        expect(await sessions().expire(cut)).toBe(1);
        expect(await sessions().get('ns/chart', idle.id)).toBeNull();
        expect((await sessions().get('ns/chart', slow.id))?.size).toBe(3);
        await sessions().delete('ns/chart', slow.id);
      },
      timeout,
    );

    it(
      'should say its smallest chunk and the bytes a session holds beyond a chunk, within a part',
      async () => {
        expect(Number.isInteger(sessions().minChunkBytes) && sessions().minChunkBytes >= 0).toBe(true);
        const { id } = await sessions().start('ns/chart');
        expect(await sessions().heldBytes('ns/chart', id)).toBe(0);
        await sessions().append('ns/chart', id, 0, Readable.from([randomBytes(1000)]), 10 * MiB);
        const held = await sessions().heldBytes('ns/chart', id);
        // Bytes held beyond a chunk only where a chunk has a smallest size (a part): 1000, under a part.
        expect(held).toBe(sessions().minChunkBytes > 0 ? 1000 : 0);
        expect(await sessions().heldBytes('ns/other', id)).toBe(0);
        expect(await sessions().heldBytes('ns/chart', 'no-such-session')).toBe(0);
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should expire the sessions started before an instant and keep the others',
      async () => {
        const old = await sessions().start('ns/chart');
        await sessions().append('ns/chart', old.id, 0, Readable.from([Buffer.from('abc')]), 100);
        await new Promise((resolve) => setTimeout(resolve, 20));
        const cut = new Date();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const fresh = await sessions().start('ns/chart');
        await sessions().append('ns/chart', fresh.id, 0, Readable.from([Buffer.from('abc')]), 100);
        expect(await sessions().expire(cut)).toBe(1);
        expect(await sessions().get('ns/chart', old.id)).toBeNull();
        expect(await sessions().get('ns/chart', fresh.id)).not.toBeNull();
        await sessions().delete('ns/chart', fresh.id);
      },
      timeout,
    );

    it(
      'should forget an empty session started before the expiry instant, and keep a later one',
      async () => {
        const old = await sessions().start('ns/chart');
        await new Promise((resolve) => setTimeout(resolve, 20));
        const cut = new Date();
        await new Promise((resolve) => setTimeout(resolve, 20));
        const fresh = await sessions().start('ns/chart');
        await sessions().expire(cut);
        expect(await sessions().get('ns/chart', old.id)).toBeNull();
        await expect(
          sessions().append('ns/chart', old.id, 0, Readable.from([Buffer.from('a')]), 10),
        ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(sessions().seal('ns/chart', old.id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        expect(await sessions().delete('ns/chart', old.id)).toBe(false);
        expect(await sessions().get('ns/chart', fresh.id)).toMatchObject({ size: 0 });
        expect(await sessions().delete('ns/chart', fresh.id)).toBe(true);
      },
      timeout,
    );

    it(
      'should name no session with a forged id or from another repository, and change nothing',
      async () => {
        const { id } = await sessions().start('ns/chart');
        const flip = (text: string, at: number) =>
          text.slice(0, at) + (text[at] === 'a' ? 'b' : 'a') + text.slice(at + 1);
        for (const forged of [flip(id, id.length - 1), flip(id, id.length - 24), flip(id, 0)]) {
          expect(await sessions().get('ns/chart', forged)).toBeNull();
          await expect(
            sessions().append('ns/chart', forged, 0, Readable.from([Buffer.from('a')]), 10),
          ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
          await expect(sessions().seal('ns/chart', forged)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
          await expect(sessions().open('ns/chart', forged)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
          expect(await sessions().delete('ns/chart', forged)).toBe(false);
        }
        await expect(
          sessions().append('ns/other', id, 0, Readable.from([Buffer.from('a')]), 10),
        ).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        await expect(sessions().seal('ns/other', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
        expect(await sessions().delete('ns/other', id)).toBe(false);
        // The session itself is as it was: empty, open to chunks.
        expect(await sessions().get('ns/chart', id)).toMatchObject({ size: 0 });
        expect((await sessions().append('ns/chart', id, 0, Readable.from([Buffer.from('a')]), 10)).size).toBe(1);
        await sessions().delete('ns/chart', id);
      },
      timeout,
    );

    it(
      'should never take a finished or cancelled session again, at any store on the same storage',
      async () => {
        const other = await ctx.fixture.reopen();
        ctx.defer(() => other.close());
        const finished = await sessions().start('ns/chart');
        // A whole-blob PUT: sealed empty, then removed once the blob is stored.
        expect(await other.seal('ns/chart', finished.id)).toMatchObject({ size: 0 });
        expect(await sessions().delete('ns/chart', finished.id)).toBe(true);
        const cancelled = await sessions().start('ns/chart');
        expect(await sessions().delete('ns/chart', cancelled.id)).toBe(true);
        for (const store of [sessions(), other])
          for (const { id } of [finished, cancelled]) {
            expect(await store.get('ns/chart', id)).toBeNull();
            await expect(store.append('ns/chart', id, 0, Readable.from([Buffer.from('a')]), 10)).rejects.toBeInstanceOf(
              UploadSessionNotFoundError,
            );
            await expect(store.seal('ns/chart', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
            await expect(store.open('ns/chart', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
            expect(await store.delete('ns/chart', id)).toBe(false);
          }
        // An empty session started at one store is found, takes chunks and is sealed at another.
        const handed = await sessions().start('ns/chart');
        expect(await other.get('ns/chart', handed.id)).toMatchObject({ size: 0, repository: 'ns/chart' });
        expect((await other.append('ns/chart', handed.id, 0, Readable.from([Buffer.from('ab')]), 10)).size).toBe(2);
        expect(await sessions().seal('ns/chart', handed.id)).toMatchObject({ size: 2 });
        expect(await sessions().delete('ns/chart', handed.id)).toBe(true);
      },
      timeout,
    );
  });
}
