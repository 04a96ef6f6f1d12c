export * from './lru-by-size';
export * from './highest-by-key';
