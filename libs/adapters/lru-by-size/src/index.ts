export * from './lru-by-size';
