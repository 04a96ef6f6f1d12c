export * from './eventually';
export * from './contract-fixture';
export * from './contract-data.factory';
export * from './event-log.contract';
export * from './metadata-store.contract';
export * from './blob-store.contract';
export * from './search-index.contract';
export * from './blob-references.contract';
