export * from './upload-sessions-s3.adapter';
