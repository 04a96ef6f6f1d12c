import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';

/** How to reach an S3-compatible store (the blob store's settings, shared by the upload sessions). */
export interface S3ConnectionOptions {
  /** e.g. http://127.0.0.1:7070; omit for AWS. */
  endpoint?: string;
  region: string;
  /** Static credentials; omit both for the SDK's default credential chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Path-style addressing (required by most self-hosted servers). Default true. */
  forcePathStyle?: boolean;
  /** The SDK's attempts per request (retries of throttling and 5xx answers); the SDK's default when omitted. */
  maxAttempts?: number;
}

export function s3ClientOf(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle ?? true,
    maxAttempts: options.maxAttempts,
    credentials:
      options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey }
        : undefined,
  });
}

/** Creates `bucket` when it does not exist. Idempotent, safe to race. */
export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
    if (!(name === 'NotFound' || status === 404)) throw error;
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { name?: string } | null)?.name !== 'BucketAlreadyOwnedByYou') throw error;
  }
}
