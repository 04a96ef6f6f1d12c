export * from './webhook';
export * from './cloud-events';
export * from './signature';
export * from './backoff';
export * from './lanes';
