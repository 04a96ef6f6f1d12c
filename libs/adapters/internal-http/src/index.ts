export * from './internal-http.client';
