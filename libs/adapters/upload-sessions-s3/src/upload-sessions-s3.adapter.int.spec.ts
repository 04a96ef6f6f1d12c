/**
 * What the S3 adapter adds to the port's contract, on the real engines: two replicas racing a
 * chunk from one state (exactly one is committed), and removal of a session that holds parts
 * (cancelled or expired) aborting its multipart upload, leaving nothing in the bucket.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
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
