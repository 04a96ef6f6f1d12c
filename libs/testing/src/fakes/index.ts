export * from './in-memory-event-log.fake';
export * from './in-memory-metadata-store.fake';
export * from './recording-metrics.fake';
export * from './package-reader.fake';
