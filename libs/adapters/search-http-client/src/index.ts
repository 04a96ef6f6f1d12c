export * from './search-http-client.adapter';
