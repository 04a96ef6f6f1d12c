/**
 * Test support for the blob-s3 int specs: one bucket per test file, a unique key prefix per
 * store, and a raw client to look behind the adapter (stray uploads, keys outside the prefix).
 */
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { requireBackendEndpoints } from '../../../testing/src/backends/backend-endpoints';
import { BlobStoreFixture, uniqueName } from '@wharf/testing';
import { S3BlobStore, S3BlobStoreOptions } from './blob-s3.adapter';

export class S3TestBucket {
  readonly bucket = uniqueName('wharf-blob-s3-');
  readonly connection = (() => {
    const { s3 } = requireBackendEndpoints();
    return {
      endpoint: s3.endpoint,
      region: s3.region,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      forcePathStyle: true,
    };
  })();
  readonly admin = new S3Client({
    endpoint: this.connection.endpoint,
    region: this.connection.region,
    credentials: { accessKeyId: this.connection.accessKeyId, secretAccessKey: this.connection.secretAccessKey },
    forcePathStyle: true,
  });

  /** A store on a fresh prefix of this bucket (the bucket is created by the first one). */
  async store(options: Partial<S3BlobStoreOptions> = {}): Promise<{ store: S3BlobStore; prefix: string }> {
    const prefix = `${uniqueName('t')}/`;
    const store = await S3BlobStore.create({ ...this.connection, bucket: this.bucket, prefix, ...options });
    return { store, prefix };
  }

  async fixture(options: Partial<S3BlobStoreOptions> = {}): Promise<BlobStoreFixture> {
    const { store, prefix } = await this.store(options);
    return { subject: store, strayUploads: () => this.strayUploads(prefix), cleanup: () => this.empty(prefix) };
  }

  /** `<prefix>uploads/` objects and open multipart uploads anywhere under the prefix. */
  async strayUploads(prefix: string): Promise<string[]> {
    const objects = (await this.keys(`${prefix}uploads/`)).map((key) => `object ${key}`);
    return [...objects, ...(await this.multipartUploads(prefix)).map((u) => `multipart upload ${u.key} ${u.uploadId}`)];
  }

  async keys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.admin.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) keys.push(object.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async multipartUploads(prefix: string): Promise<{ key: string; uploadId: string }[]> {
    const uploads: { key: string; uploadId: string }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.admin.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      );
      for (const upload of page.Uploads ?? []) uploads.push({ key: upload.Key!, uploadId: upload.UploadId! });
      if (!page.IsTruncated) return uploads;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
  }

  /** Deletes every object and aborts every upload under the prefix. */
  async empty(prefix = ''): Promise<void> {
    for (const key of await this.keys(prefix))
      await this.admin.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    for (const upload of await this.multipartUploads(prefix)) {
      await this.admin.send(
        new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId }),
      );
    }
  }

  /** Empties and deletes the bucket (if a store ever created it), then closes the client. */
  async destroy(): Promise<void> {
    try {
      await this.empty();
      await this.admin.send(new DeleteBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'NoSuchBucket') throw error;
    } finally {
      this.admin.destroy();
    }
  }
}
