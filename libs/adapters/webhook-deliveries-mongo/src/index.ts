export * from './webhook-deliveries-mongo.adapter';
