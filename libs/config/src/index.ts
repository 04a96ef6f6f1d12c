export * from './wharf-config';
export * from './json-logger';
export * from './boot';
