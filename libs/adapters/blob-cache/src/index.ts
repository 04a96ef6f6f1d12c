export * from './blob-cache.adapter';
export * from './lru-byte-cache';
