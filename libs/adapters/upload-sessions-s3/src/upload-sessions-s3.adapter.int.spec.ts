/**
 * What the S3 adapter adds to the port's contract, on the real engines: two replicas racing a
 * chunk from one state (exactly one is committed), a seal on one replica refusing a chunk still
 * streaming into another and two seals racing (one wins), removal of a session that holds parts
 * (cancelled or expired) aborting its multipart upload, leaving nothing in the bucket, a chunk
 * from a state superseded twice refused, one live state version kept per session (and found by a
 * reader that starts from a pruned one), small chunks
 * kept as tail objects of their own, the expiry's sweep of what removed sessions left behind,
 * and the holders of links written before holders were kept.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListPartsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { s3ClientOf } from '@wharf/adapters/blob-s3';
import { UploadOffsetMismatchError, UploadSessionNotFoundError } from '@wharf/ports';
import { S3TestBucket } from '../../blob-s3/src/blob-s3.fixture';
import {
  adminClient,
  closeAdminClient,
  dropDatabase,
  mongoUrl,
  uniqueDatabase,
} from '../../mongo/src/mongo.test-support';
import { MAX_TAILS, S3UploadSessionStore, type S3UploadSessionsOptions } from './upload-sessions-s3.adapter';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const bucket = new S3TestBucket();
let prefix: string;
let database: string;
const stores: S3UploadSessionStore[] = [];

const DAY = 24 * 3600_000;
const MINUTE = 60_000;

async function replica(options: Pick<S3UploadSessionsOptions, 'now'> = {}): Promise<S3UploadSessionStore> {
  const store = await S3UploadSessionStore.connect({
    s3: { ...bucket.connection, bucket: bucket.bucket, prefix },
    mongo: { url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } },
    partSize: 5 * MiB,
    ...options,
  });
  stores.push(store);
  return store;
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Objects and open multipart uploads of the sessions. */
async function leftovers(): Promise<string[]> {
  const uploads = await bucket.multipartUploads(`${prefix}oci-uploads/`);
  const objects = await bucket.keys(`${prefix}oci-uploads/`);
  return [...uploads.map((u) => `upload ${u.key}`), ...objects.map((key) => `object ${key}`)];
}

beforeEach(async () => {
  const created = await bucket.store();
  await created.store.close();
  prefix = created.prefix;
  database = uniqueDatabase('wharf_uploads_');
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  await bucket.empty(prefix);
  await dropDatabase(database);
});

afterAll(async () => {
  await bucket.destroy();
  await closeAdminClient();
});

it('should refuse a chunk still streaming on one replica once another sealed the session, and seal it once', async () => {
  const [a, b] = [await replica(), await replica()];
  const { id } = await a.start('ns/app');
  const chunk = new PassThrough();
  chunk.write(randomBytes(1000));
  const appended = b.append('ns/app', id, 0, chunk, 16 * MiB).catch((e: unknown) => e);
  // Sealed while the chunk is still being sent (it ends only after): the chunk must not be kept.
  expect(await a.seal('ns/app', id)).toMatchObject({ id, size: 0 });
  chunk.end(randomBytes(1000));
  expect(await appended).toBeInstanceOf(UploadSessionNotFoundError);
  expect((await b.get('ns/app', id))?.size).toBe(0);
  await expect(b.seal('ns/app', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
  expect(await a.delete('ns/app', id)).toBe(true);

  const other = await a.start('ns/app');
  const sealed = await Promise.allSettled([a.seal('ns/app', other.id), b.seal('ns/app', other.id)]);
  expect(sealed.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
  expect(sealed.find((s) => s.status === 'rejected')).toMatchObject({ reason: expect.any(UploadSessionNotFoundError) });
  expect(await b.delete('ns/app', other.id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it('should commit exactly one of two chunks racing from one state on two replicas', async () => {
  const [a, b] = [await replica(), await replica()];
  const { id } = await a.start('ns/app');
  const first = randomBytes(6 * MiB);
  const second = randomBytes(6 * MiB);
  const outcomes = await Promise.allSettled([
    a.append('ns/app', id, 0, Readable.from([first]), 16 * MiB),
    b.append('ns/app', id, 0, Readable.from([second]), 16 * MiB),
  ]);
  const won = outcomes.findIndex((o) => o.status === 'fulfilled');
  const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
  expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  expect(lost?.reason).toBeInstanceOf(UploadOffsetMismatchError);
  const bytes = await bytesOf(await b.open('ns/app', id));
  expect(bytes.equals(won === 0 ? first : second)).toBe(true);
  expect(await a.delete('ns/app', id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it("should keep the committed chunk's part when a losing replica uploads the same part after it", async () => {
  const [a, b] = [await replica(), await replica()];
  const { id } = await a.start('ns/app');
  const base = randomBytes(5 * MiB + 1); // part 1, and a tail of one byte
  await a.append('ns/app', id, 0, Readable.from([base]), 32 * MiB);
  const [upload] = await bucket.multipartUploads(`${prefix}oci-uploads/${id}/`);
  const admin = s3ClientOf(bucket.connection);
  const parts = async () =>
    (await admin.send(new ListPartsCommand({ Bucket: bucket.bucket, Key: upload!.key, UploadId: upload!.uploadId })))
      .Parts ?? [];
  const until = async (done: () => Promise<boolean>) => {
    for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
  };
  // Both chunks start from the same state; each fills a part and then waits for its end.
  const winner = randomBytes(5 * MiB);
  const loser = randomBytes(5 * MiB);
  const won = new PassThrough();
  const lost = new PassThrough();
  const kept = a.append('ns/app', id, base.length, won, 32 * MiB);
  won.write(winner);
  await until(async () => (await parts()).length === 2);
  const first = (await parts()).find((p) => p.PartNumber === 2)?.ETag;
  const refused = b.append('ns/app', id, base.length, lost, 32 * MiB);
  lost.write(loser);
  // The loser's part is uploaded after the winner's: over it (the same number), or beside it.
  await until(async () => {
    const now = await parts();
    return now.length === 3 || now.find((p) => p.PartNumber === 2)?.ETag !== first;
  });
  won.end();
  await kept;
  lost.end();
  await expect(refused).rejects.toBeInstanceOf(UploadOffsetMismatchError);
  const bytes = await bytesOf(await a.open('ns/app', id));
  expect(bytes.equals(Buffer.concat([base, winner]))).toBe(true);
  admin.destroy();
});

it('should abort the multipart upload of a session cancelled or expired with parts in it', async () => {
  const store = await replica();
  const cancelled = await store.start('ns/app');
  await store.append('ns/app', cancelled.id, 0, Readable.from([randomBytes(7 * MiB)]), 16 * MiB);
  const abandoned = await store.start('ns/app');
  await store.append('ns/app', abandoned.id, 0, Readable.from([randomBytes(5 * MiB + 1)]), 16 * MiB);
  expect((await leftovers()).filter((l) => l.startsWith('upload'))).toHaveLength(2);
  expect(await store.delete('ns/app', cancelled.id)).toBe(true);
  expect(await store.expire(new Date(Date.now() + 1000))).toBe(1);
  expect(await store.get('ns/app', abandoned.id)).toBeNull();
  expect(await leftovers()).toEqual([]);
});

it('should refuse a chunk from a state another replica has since superseded twice (its versions pruned)', async () => {
  const [a, b] = [await replica(), await replica()];
  const { id } = await a.start('ns/app');
  const stale = new PassThrough();
  stale.write(randomBytes(100));
  // Starts from state 0 and waits for its end: it would commit state 1.
  const refused = b.append('ns/app', id, 0, stale, 16 * MiB).catch((e: unknown) => e);
  // Its first bytes read: it has read state 0 before the other replica's commits.
  for (let i = 0; i < 600 && stale.readableLength > 0; i++) await new Promise((r) => setTimeout(r, 10));
  const first = randomBytes(100);
  const second = randomBytes(200);
  await a.append('ns/app', id, 0, Readable.from([first]), 16 * MiB);
  await a.append('ns/app', id, first.length, Readable.from([second]), 16 * MiB);
  stale.end(randomBytes(100));
  expect(await refused).toBeInstanceOf(UploadOffsetMismatchError);
  expect((await b.get('ns/app', id))?.size).toBe(first.length + second.length);
  expect((await bytesOf(await b.open('ns/app', id))).equals(Buffer.concat([first, second]))).toBe(true);
  expect(await a.delete('ns/app', id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it('should keep one live state version per session, and find it from a pruned version', async () => {
  const store = await replica();
  const { id } = await store.start('ns/app');
  const states = (await adminClient()).db(database).collection('oci_upload_session_states');
  const heads = (await adminClient()).db(database).collection<{ _id: string }>('oci_upload_sessions');
  let size = 0;
  for (const chunk of [randomBytes(100), randomBytes(6 * MiB), randomBytes(100), randomBytes(100)])
    size = (await store.append('ns/app', id, size, Readable.from([chunk]), 16 * MiB)).size;
  expect(await states.countDocuments({ session: id, pruned: { $ne: true } })).toBe(1);
  // A reader that read `latest` before the last commit (or a head FerretDB moved back).
  await heads.updateOne({ _id: id }, { $set: { latest: 0 } });
  expect((await store.get('ns/app', id))?.size).toBe(size);
  size = (await store.append('ns/app', id, size, Readable.from([randomBytes(10)]), 16 * MiB)).size;
  expect((await store.get('ns/app', id))?.size).toBe(size);
  expect(await store.delete('ns/app', id)).toBe(true);
});

it('should keep a small chunk as a tail object of its own, without rewriting the others, up to MAX_TAILS', async () => {
  const store = await replica();
  const { id } = await store.start('ns/app');
  const sessionObjects = () => bucket.keys(`${prefix}oci-uploads/${id}/`);
  const chunks: Buffer[] = [];
  let size = 0;
  for (let i = 0; i < 3; i++) {
    chunks.push(randomBytes(1000 + i));
    size = (await store.append('ns/app', id, size, Readable.from([chunks[i]!]), 16 * MiB)).size;
  }
  const three = await sessionObjects();
  expect(three).toHaveLength(3);
  chunks.push(randomBytes(10));
  size = (await store.append('ns/app', id, size, Readable.from([chunks[3]!]), 16 * MiB)).size;
  // The first three are the same objects: not written again.
  expect((await sessionObjects()).filter((key) => three.includes(key))).toHaveLength(3);
  for (let i = 4; i <= MAX_TAILS; i++) {
    chunks.push(randomBytes(10));
    size = (await store.append('ns/app', id, size, Readable.from([chunks[i]!]), 16 * MiB)).size;
  }
  // One past MAX_TAILS: written again as one.
  expect(await sessionObjects()).toHaveLength(1);
  expect(await store.heldBytes('ns/app', id)).toBe(size);
  // A chunk that fills a part takes the tails' bytes first.
  chunks.push(randomBytes(5 * MiB));
  await store.append('ns/app', id, size, Readable.from([chunks.at(-1)!]), 16 * MiB);
  expect((await bytesOf(await store.open('ns/app', id))).equals(Buffer.concat(chunks))).toBe(true);
  expect(await store.delete('ns/app', id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it('should sweep, on expiry, the uploads and objects a removed session left behind, and keep a live one', async () => {
  const store = await replica();
  const admin = s3ClientOf(bucket.connection);
  // What a crash mid-removal leaves: an open multipart upload and a tail of a session whose records are gone.
  const gone = `${prefix}oci-uploads/0b5b6c1e-7a53-4c1c-9d2e-4f1e4a0c9d01/`;
  await admin.send(new CreateMultipartUploadCommand({ Bucket: bucket.bucket, Key: `${gone}data` }));
  await admin.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: `${gone}tail-x`, Body: 'left' }));
  admin.destroy();
  const live = await store.start('ns/app');
  const first = randomBytes(5 * MiB + 10);
  await store.append('ns/app', live.id, 0, Readable.from([first]), 16 * MiB);
  // S3 times are whole seconds: the cut falls clearly after the bytes above, and before the next chunk.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const cut = new Date();
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await store.append('ns/app', live.id, first.length, Readable.from([Buffer.from('last')]), 16 * MiB);
  expect(await store.expire(cut)).toBe(0);
  // The strays are gone; the live session's upload, started before the cut, is not.
  expect((await leftovers()).filter((l) => l.includes(gone))).toEqual([]);
  const bytes = await bytesOf(await store.open('ns/app', live.id));
  expect(bytes.equals(Buffer.concat([first, Buffer.from('last')]))).toBe(true);
  expect(await store.delete('ns/app', live.id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it('should store nothing for a session until it holds something, and only its head, by `_id`, for a whole-blob PUT', async () => {
  const [a, b] = [await replica(), await replica()];
  const db = (await adminClient()).db(database);
  const heads = db.collection<{ _id: string; gone?: boolean; sealed?: boolean }>('oci_upload_sessions');
  const states = db.collection('oci_upload_session_states');
  const { id } = await a.start('ns/app');
  expect(await heads.countDocuments({})).toBe(0);
  // A monolithic push: the PUT at another replica seals the empty session, then removes it.
  expect(await b.seal('ns/app', id)).toMatchObject({ id, size: 0 });
  expect(await b.delete('ns/app', id)).toBe(true);
  expect(await heads.find({}).toArray()).toEqual([expect.objectContaining({ _id: id, sealed: true, gone: true })]);
  expect(await states.countDocuments({})).toBe(0);
  expect(await leftovers()).toEqual([]);
  expect(await a.get('ns/app', id)).toBeNull();
});

it('should take no empty session older than its age at a store that never expired it (another replica)', async () => {
  const store = await S3UploadSessionStore.connect({
    s3: { ...bucket.connection, bucket: bucket.bucket, prefix },
    mongo: { url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } },
    partSize: 5 * MiB,
    maxAgeMs: 200,
  });
  stores.push(store);
  const { id } = await store.start('ns/app');
  expect(await store.get('ns/app', id)).not.toBeNull();
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(await store.get('ns/app', id)).toBeNull();
  await expect(store.seal('ns/app', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
  await expect(store.append('ns/app', id, 0, Readable.from([Buffer.from('a')]), 10)).rejects.toBeInstanceOf(
    UploadSessionNotFoundError,
  );
  expect(await store.delete('ns/app', id)).toBe(false);
});

it("should keep a finished session's tombstone while any replica's clock takes its id, then drop it and refuse the id", async () => {
  // Replica `a`'s clock is set by the test; `b`'s is 4 minutes behind it (within the 5 allowed).
  let at = Date.now();
  const a = await replica({ now: () => new Date(at) });
  const b = await replica({ now: () => new Date(at - 4 * MINUTE) });
  const heads = (await adminClient()).db(database).collection<{ _id: string }>('oci_upload_sessions');
  const refused = async (store: S3UploadSessionStore, id: string) => {
    expect(await store.get('ns/app', id)).toBeNull();
    await expect(store.append('ns/app', id, 0, Readable.from([Buffer.from('a')]), 10)).rejects.toBeInstanceOf(
      UploadSessionNotFoundError,
    );
    await expect(store.seal('ns/app', id)).rejects.toBeInstanceOf(UploadSessionNotFoundError);
  };
  const start = at;
  // `old` started (its id says so) a day and 3 minutes before `start`, and was pushed whole then.
  at = start - DAY - 3 * MINUTE;
  const old = await a.start('ns/app');
  at = start;
  const recent = await a.start('ns/app');
  for (const { id } of [old, recent]) {
    at = Number.parseInt(id.split('.')[1]!, 36);
    await a.seal('ns/app', id);
    expect(await a.delete('ns/app', id)).toBe(true);
  }
  at = start;
  // Past the age at `a`, not at `b`, whose clock is behind: the tombstone is what refuses it there.
  expect(await a.expire(new Date(at - DAY))).toBe(0);
  expect((await heads.find({}).toArray()).map((h) => h._id).sort()).toEqual([old.id, recent.id].sort());
  await refused(b, old.id);
  // Past the age plus the clocks' skew: dropped, and still refused at every replica.
  at = start + 3 * MINUTE;
  expect(await a.expire(new Date(at - DAY))).toBe(0);
  expect((await heads.find({}).toArray()).map((h) => h._id)).toEqual([recent.id]);
  for (const store of [a, b]) {
    await refused(store, old.id);
    await refused(store, recent.id);
  }
  expect((await heads.find({}).toArray()).map((h) => h._id)).toEqual([recent.id]);
  expect(await leftovers()).toEqual([]);
});

it('should not expire a session whose first chunk is being written when its id nears the age (another replica sweeping)', async () => {
  let lag = 3600_000;
  const a = await replica({ now: () => new Date(Date.now() - lag) });
  const b = await replica();
  const heads = (await adminClient()).db(database).collection<{ _id: string }>('oci_upload_sessions');
  // Started an hour ago; its first chunk comes now.
  const { id } = await a.start('ns/app');
  lag = 0;
  const chunk = new PassThrough();
  chunk.write(randomBytes(100));
  const appended = a.append('ns/app', id, 0, chunk, 16 * MiB);
  for (let i = 0; i < 600 && (await heads.countDocuments({ _id: id })) === 0; i++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  // Another replica sweeps the sessions idle for half an hour while the chunk is still being sent.
  const expired = await b.expire(new Date(Date.now() - 30 * MINUTE));
  chunk.end(randomBytes(100));
  expect(expired).toBe(0);
  expect((await appended).size).toBe(200);
  expect((await b.get('ns/app', id))?.size).toBe(200);
  expect(await a.delete('ns/app', id)).toBe(true);
  expect(await leftovers()).toEqual([]);
});

it('should finish, on expiry, the removal of a session a crash left half-way', async () => {
  const store = await replica();
  const heads = (await adminClient()).db(database).collection<{ _id: string }>('oci_upload_sessions');
  const states = (await adminClient()).db(database).collection('oci_upload_session_states');
  const { id } = await store.start('ns/app');
  await store.append('ns/app', id, 0, Readable.from([randomBytes(100)]), 16 * MiB);
  await store.append('ns/app', id, 100, Readable.from([randomBytes(100)]), 16 * MiB);
  // What a crash right after the mark leaves: gone, its states and tail objects still there.
  await heads.updateOne({ _id: id }, { $set: { gone: true, removing: true } });
  expect(await store.get('ns/app', id)).toBeNull();
  expect(await store.expire(new Date(Date.now() + 1000))).toBe(0);
  expect(await states.countDocuments({ session: id })).toBe(0);
  expect(await leftovers()).toEqual([]);
});

/**
 * `holders` (the links by digest) beyond the contract: links written before holders were kept
 * (documents of the links collection alone) get theirs when a store first connects, once per
 * database; a holder whose link is gone (a crash between the two writes, or a link racing an
 * unlink) is not named, and does not take the place of one that holds the digest.
 */
describe('holders', () => {
  const HOLDER_HEX = 'a'.repeat(64);
  const HOLDER_ALIAS = `sha512:${'b'.repeat(128)}`;

  async function collection(name: string) {
    return (await adminClient()).db(database).collection<{ _id: string; repository: string; target?: string }>(name);
  }

  it('should give the links written before holders were kept their holders when it first connects, once', async () => {
    const links = await collection('oci_upload_links');
    await links.insertMany([
      { _id: `ns/old@sha256:${HOLDER_HEX}`, repository: 'ns/old' },
      { _id: `ns/old@${HOLDER_ALIAS}`, repository: 'ns/old', target: HOLDER_HEX },
      { _id: `other/old@sha256:${HOLDER_HEX}`, repository: 'other/old' },
    ]);
    const store = await replica();
    expect(await store.holders(`sha256:${HOLDER_HEX}`, 10)).toEqual(['ns/old', 'other/old']);
    expect(await store.holders(HOLDER_ALIAS, 10)).toEqual(['ns/old']);
    // Once per database: a link an older gateway writes later has none until it is written again.
    await links.insertOne({ _id: `ns/later@sha256:${HOLDER_HEX}`, repository: 'ns/later' });
    const again = await replica();
    expect(await again.holders(`sha256:${HOLDER_HEX}`, 10)).toEqual(['ns/old', 'other/old']);
    await again.link('ns/later', HOLDER_HEX);
    expect(await again.holders(`sha256:${HOLDER_HEX}`, 10)).toEqual(['ns/later', 'ns/old', 'other/old']);
  });

  it('should not name a holder whose link is gone, nor count it against the limit', async () => {
    const store = await replica();
    const holders = await collection('oci_upload_holders');
    // Left by a crash between a holder's write and its link's removal: before the others by name.
    await holders.insertMany([
      { _id: `sha256:${HOLDER_HEX}@a/gone`, repository: 'a/gone' },
      { _id: `sha256:${HOLDER_HEX}@b/gone`, repository: 'b/gone' },
      { _id: `${HOLDER_ALIAS}@a/gone`, repository: 'a/gone' },
    ]);
    await store.link('c/kept', HOLDER_HEX);
    await store.link('d/kept', HOLDER_HEX);
    expect(await store.holders(`sha256:${HOLDER_HEX}`, 1)).toEqual(['c/kept']);
    expect(await store.holders(`sha256:${HOLDER_HEX}`, 2)).toEqual(['c/kept', 'd/kept']);
    expect(await store.holders(`sha256:${HOLDER_HEX}`, 10)).toEqual(['c/kept', 'd/kept']);
    expect(await store.holders(HOLDER_ALIAS, 10)).toEqual([]);
  });
});
