export * from './blob-cache.adapter';
