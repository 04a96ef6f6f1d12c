export * from './account-store-sqlite.adapter';
