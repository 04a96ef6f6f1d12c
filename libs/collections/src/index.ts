export * from './lru-by-size';
export * from './highest-by-key';
export * from './latest-pending';
export * from './serial-by-key';
