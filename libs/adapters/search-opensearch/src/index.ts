export * from './search-opensearch.adapter';
export * from './search-opensearch.mapping';
