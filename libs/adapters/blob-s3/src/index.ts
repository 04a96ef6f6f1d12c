export * from './blob-s3.adapter';
// Shared with upload-sessions-s3, which cuts OCI upload chunks into parts of the same bucket.
export { PartReader } from './part-reader';
export { isS3Outage } from './s3-outage';
export { MIN_PART_SIZE } from './s3-limits';
export { type S3ConnectionOptions, ensureBucket, s3ClientOf } from './s3-connection';
