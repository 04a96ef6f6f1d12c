export * from './wharf-config';
export * from './json-logger';
export * from './log-context';
export * from './boot';
