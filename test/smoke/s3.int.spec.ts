/**
 * Smoke test of the S3 server through @aws-sdk/client-s3 (the client Wharf's
 * blob service uses), path-style: bucket, put/head/get/delete, and a
 * two-part multipart upload of 5 MiB parts verified byte for byte.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { requireBackendEndpoints } from '../../libs/testing/src/backends/backend-endpoints';

const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Generous: the first call may wait for a freshly started server.
const TIMEOUT_MS = 120_000;
describe('smoke: S3 (@aws-sdk/client-s3)', () => {
  const { s3: endpoint } = requireBackendEndpoints();
  const s3 = new S3Client({
    endpoint: endpoint.endpoint,
    region: endpoint.region,
    credentials: { accessKeyId: endpoint.accessKeyId, secretAccessKey: endpoint.secretAccessKey },
    forcePathStyle: true,
  });
  const bucket = `wharf-smoke-${randomUUID().slice(0, 8)}`;
  let bucketCreated = false;

  afterAll(async () => {
    if (bucketCreated) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const o of listed.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    }
    s3.destroy();
  }, TIMEOUT_MS);

  it(
    'creates a bucket and puts, heads, gets and deletes an object',
    async () => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      bucketCreated = true;

      const key = 'charts/acme/web-1.0.0.tgz';
      const body = randomBytes(64 * 1024);
      const put = await s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/gzip' }),
      );
      expect(put.ETag).toBe(`"${md5(body)}"`);

      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(body.length);
      expect(head.ContentType).toBe('application/gzip');
      expect(head.ETag).toBe(put.ETag);

      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);

      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).rejects.toBeInstanceOf(NotFound);
    },
    TIMEOUT_MS,
  );

  it(
    'completes a multipart upload of two 5 MiB parts',
    async () => {
      const key = 'blobs/multipart.bin';
      const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB)];
      const whole = Buffer.concat(parts);

      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      expect(UploadId).toBeTruthy();
      const uploaded = [];
      for (const [i, part] of parts.entries()) {
        const r = await s3.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: part }),
        );
        expect(r.ETag).toBe(`"${md5(part)}"`);
        uploaded.push({ PartNumber: i + 1, ETag: r.ETag });
      }
      const done = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: uploaded },
        }),
      );
      // S3 multipart ETag: md5 of the concatenated binary part md5s, then "-<part count>".
      const partsMd5 = createHash('md5')
        .update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest())))
        .digest('hex');
      expect(done.ETag).toBe(`"${partsMd5}-2"`);

      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      expect(head.ContentLength).toBe(10 * MiB);

      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(whole.length);
      expect(sha256(bytes)).toBe(sha256(whole));
    },
    TIMEOUT_MS,
  );
});
