export * from './chart-index-sqlite.adapter';
