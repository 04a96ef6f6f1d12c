export * from './blob-s3.adapter';
