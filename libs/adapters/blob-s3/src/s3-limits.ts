/** S3's limits, and the adapter's name in its errors. */
export const NAME = 'blob-s3';
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
/** Smallest part but the last. */
export const MIN_PART_SIZE = 5 * MiB;
/** Most parts of one multipart upload. */
export const MAX_PARTS = 10_000;
/** Largest part, PutObject and CopyObject. */
export const MAX_SINGLE_REQUEST = 5 * GiB;
