export * from './blob-references-sqlite.adapter';
