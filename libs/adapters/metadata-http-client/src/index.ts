export * from './metadata-http-client.adapter';
