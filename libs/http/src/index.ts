export * from './error-renderer';
export * from './transport-errors';
export * from './wharf-exception.filter';
export * from './service-host.module';
export * from './service-app';
export * from './operator-only';
export * from './request-path';
export * from './request-context';
