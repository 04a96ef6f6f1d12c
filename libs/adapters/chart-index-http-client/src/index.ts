export * from './chart-index-http-client.adapter';
