export * from './wharf-config';
export * from './json-logger';
