export * from './blob-http-client.adapter';
