export * from './events';
export * from './http/error-codes';
export * from './http/wire-error';
export * from './http/oci-error-codes';
