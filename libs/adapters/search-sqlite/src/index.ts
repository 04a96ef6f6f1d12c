export * from './search-sqlite.adapter';
