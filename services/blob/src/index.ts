export * from './blob.module';
export * from './blob-reference.projector';
export * from './blob-garbage-collector';
