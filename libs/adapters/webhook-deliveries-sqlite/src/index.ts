export * from './webhook-deliveries-sqlite.adapter';
