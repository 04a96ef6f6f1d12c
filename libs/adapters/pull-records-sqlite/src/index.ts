export * from './pull-records-sqlite.adapter';
