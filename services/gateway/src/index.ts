export * from './gateway.module';
export * from './http/http-setup';
