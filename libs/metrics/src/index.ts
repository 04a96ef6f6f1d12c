export * from './wharf-metrics';
export * from './store-calls';
