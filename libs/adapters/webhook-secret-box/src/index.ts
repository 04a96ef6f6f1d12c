export * from './webhook-secret-box.adapter';
