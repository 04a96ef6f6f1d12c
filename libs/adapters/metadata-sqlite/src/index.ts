export * from './metadata-sqlite.adapter';
