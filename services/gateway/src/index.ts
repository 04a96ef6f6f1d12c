export * from './gateway.module';
export * from './http/http-setup';
export * from './http/discovery-origin';
