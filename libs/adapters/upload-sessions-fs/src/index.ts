export * from './upload-sessions-fs.adapter';
