export * from './blob-fs.adapter';
