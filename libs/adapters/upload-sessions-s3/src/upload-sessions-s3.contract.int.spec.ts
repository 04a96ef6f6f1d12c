/**
 * The upload-session contract on the real engines: S3 (Versity S3 Gateway locally, or the
 * configured S3) for the bytes, MongoDB-wire (FerretDB locally) for the state. Each test gets its
 * own key prefix and database; its teardown also fails when an object or an open multipart upload
 * is left under the prefix (the adapter cleans up after itself). 5 MiB parts, S3's smallest, so
 * the contract's 11 MiB of chunks cross part boundaries.
 */
import { describeUploadSessionsContract } from '@wharf/testing';
import { S3TestBucket } from '../../blob-s3/src/blob-s3.fixture';
import { closeAdminClient, dropDatabase, mongoUrl, uniqueDatabase } from '../../mongo/src/mongo.test-support';
import { S3UploadSessionStore, S3UploadSessionsOptions } from './upload-sessions-s3.adapter';

const bucket = new S3TestBucket();
afterAll(async () => {
  await bucket.destroy();
  await closeAdminClient();
});

describeUploadSessionsContract(
  'upload-sessions-s3 (S3 multipart uploads, state in MongoDB)',
  async () => {
    const { store, prefix } = await bucket.store();
    await store.close();
    const database = uniqueDatabase('wharf_uploads_');
    const options: S3UploadSessionsOptions = {
      s3: { ...bucket.connection, bucket: bucket.bucket, prefix },
      mongo: { url: mongoUrl(), database, clientOptions: { serverSelectionTimeoutMS: 10_000 } },
      partSize: 5 * 1024 * 1024,
    };
    return {
      subject: await S3UploadSessionStore.connect(options),
      reopen: () => S3UploadSessionStore.connect(options),
      cleanup: async () => {
        const left = await bucket.strayUploads(`${prefix}oci-uploads/`);
        left.push(...(await bucket.keys(`${prefix}oci-uploads/`)).map((key) => `object ${key}`));
        await bucket.empty(prefix);
        await dropDatabase(database);
        expect(left).toEqual([]);
      },
    };
  },
  { testTimeoutMs: 120_000 },
);
