/**
 * What the S3 adapter adds to the port's contract for `holders` (the links by digest), on the
 * real engines: links written before holders were kept (documents of the links collection
 * alone) get theirs when a store first connects, once per database; a holder whose link is gone
 * (a crash between the two writes, or a link racing an unlink) is not named, and does not take
 * the place of one that holds the digest.
 */
import { S3TestBucket } from '../../blob-s3/src/blob-s3.fixture';
import {
  adminClient,
  closeAdminClient,
  dropDatabase,
  mongoUrl,
  uniqueDatabase,
} from '../../mongo/src/mongo.test-support';
import { S3UploadSessionStore } from './upload-sessions-s3.adapter';

jest.setTimeout(120_000);

const bucket = new S3TestBucket();
let prefix: string;
let database: string;
const stores: S3UploadSessionStore[] = [];

async function connect(): Promise<S3UploadSessionStore> {
  const store = await S3UploadSessionStore.connect({
    s3: { ...bucket.connection, bucket: bucket.bucket, prefix },
    mongo: { url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } },
  });
  stores.push(store);
  return store;
}

async function collection(name: string) {
  return (await adminClient()).db(database).collection<{ _id: string; repository: string; target?: string }>(name);
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

const hex = 'a'.repeat(64);
const alias = `sha512:${'b'.repeat(128)}`;

it('should give the links written before holders were kept their holders when it first connects, once', async () => {
  const links = await collection('oci_upload_links');
  await links.insertMany([
    { _id: `ns/old@sha256:${hex}`, repository: 'ns/old' },
    { _id: `ns/old@${alias}`, repository: 'ns/old', target: hex },
    { _id: `other/old@sha256:${hex}`, repository: 'other/old' },
  ]);
  const store = await connect();
  expect(await store.holders(`sha256:${hex}`, 10)).toEqual(['ns/old', 'other/old']);
  expect(await store.holders(alias, 10)).toEqual(['ns/old']);
  // Once per database: a link an older gateway writes later has none until it is written again.
  await links.insertOne({ _id: `ns/later@sha256:${hex}`, repository: 'ns/later' });
  const again = await connect();
  expect(await again.holders(`sha256:${hex}`, 10)).toEqual(['ns/old', 'other/old']);
  await again.link('ns/later', hex);
  expect(await again.holders(`sha256:${hex}`, 10)).toEqual(['ns/later', 'ns/old', 'other/old']);
});

it('should not name a holder whose link is gone, nor count it against the limit', async () => {
  const store = await connect();
  const holders = await collection('oci_upload_holders');
  // Left by a crash between a holder's write and its link's removal: before the others by name.
  await holders.insertMany([
    { _id: `sha256:${hex}@a/gone`, repository: 'a/gone' },
    { _id: `sha256:${hex}@b/gone`, repository: 'b/gone' },
    { _id: `${alias}@a/gone`, repository: 'a/gone' },
  ]);
  await store.link('c/kept', hex);
  await store.link('d/kept', hex);
  expect(await store.holders(`sha256:${hex}`, 1)).toEqual(['c/kept']);
  expect(await store.holders(`sha256:${hex}`, 2)).toEqual(['c/kept', 'd/kept']);
  expect(await store.holders(`sha256:${hex}`, 10)).toEqual(['c/kept', 'd/kept']);
  expect(await store.holders(alias, 10)).toEqual([]);
});
