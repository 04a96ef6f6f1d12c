export * from './event-log.port';
export * from './metadata-store.port';
export * from './blob-store.port';
export * from './search-index.port';
export * from './package-commands.port';
export * from './readers.port';
export * from './blob-references.port';
