/**
 * What the S3 adapter adds to the port's contract, on the real engines: two replicas racing a
 * chunk from one state (exactly one is committed), and removal of a session that holds parts
 * (cancelled or expired) aborting its multipart upload, leaving nothing in the bucket.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { ListPartsCommand } from '@aws-sdk/client-s3';
import { s3ClientOf } from '@wharf/adapters/blob-s3';
import { UploadOffsetMismatchError } from '@wharf/ports';
import { S3TestBucket } from '../../blob-s3/src/blob-s3.fixture';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { S3UploadSessionStore } from './upload-sessions-s3.adapter';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const bucket = new S3TestBucket();
let prefix: string;
let database: string;
const stores: S3UploadSessionStore[] = [];

async function replica(): Promise<S3UploadSessionStore> {
  const store = await S3UploadSessionStore.connect({
    s3: { ...bucket.connection, bucket: bucket.bucket, prefix },
    mongo: { url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } },
    partSize: 5 * MiB,
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
