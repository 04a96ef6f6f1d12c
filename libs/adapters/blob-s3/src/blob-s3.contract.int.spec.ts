import { describeBlobStoreContract } from '@wharf/testing';
import { S3TestBucket } from './blob-s3.fixture';

const bucket = new S3TestBucket();
afterAll(() => bucket.destroy());

// Each test gets its own key prefix in this file's bucket; strayUploads sees `<prefix>uploads/`
// objects and open multipart uploads.
describeBlobStoreContract('blob-s3 (Versity S3 Gateway or the configured S3)', () => bucket.fixture());

// Small parts, so the 6 MiB and concurrent clauses run through multipart uploads and the
// temp-object copy as well, not only single PutObjects.
describeBlobStoreContract('blob-s3, 5 MiB parts, one part in flight', () =>
  bucket.fixture({ partSize: 5 * 1024 * 1024, queueSize: 1 }),
);
