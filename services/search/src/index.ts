export * from './search.module';
export * from './search-projector';
export * from './search-document';
