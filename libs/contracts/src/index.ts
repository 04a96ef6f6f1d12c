export * from './events';
export * from './http/error-codes';
